import Foundation

/// The committed guest components, found from this file (symlinks resolved) so tests run from
/// any directory.
enum GuestFiles {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The bytes of `path`, relative to the repository root (e.g. `Guests/test-guest/test-guest.wasm`).
    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: repositoryRoot.appendingPathComponent(path)))
    }
}
