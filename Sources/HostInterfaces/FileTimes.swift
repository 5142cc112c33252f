/// A file's data-modification and status-change times (wall clock, real nanoseconds), for
/// `stat`/`stat-at` (wit/ and docs/sdk.md).
///
/// Stored as their own sealed entry `fs-times:<path>` next to the file's `fs:<path>`, written in
/// the same batch as the data. The file entry keeps holding exactly the file's bytes, so stores
/// written before timestamps existed read unchanged (their files report no times until the next
/// write), and nothing that lists `fs:` keys (directory listings) sees the times entries.
/// Access times are not kept: recording every read would turn reads into sealed writes.
public struct FileTimes: Sendable, Equatable {
    /// Last change of the contents (`write`, `set-size`, truncate, create) or `set-times`.
    public var modified: Clocks.DateTime
    /// Last change of the contents or of the metadata (rename, `set-times`).
    public var changed: Clocks.DateTime

    /// Both times set to `time`.
    public init(_ time: Clocks.DateTime) {
        modified = time
        changed = time
    }

    /// Explicit times.
    public init(modified: Clocks.DateTime, changed: Clocks.DateTime) {
        self.modified = modified
        self.changed = changed
    }

    /// Both times set to the wall clock now.
    public static func now() -> FileTimes { FileTimes(Clocks.wallNow()) }

    /// Layout version; a reader that finds another version reports no times rather than
    /// misreading them.
    static let formatVersion: UInt8 = 1
    static let encodedCount = 1 + 2 * 12

    /// The sealed entry holding the times of file `path`.
    static func key(for path: FileSystemPath) -> String { "fs-times:" + path.description }

    /// The prefix of every times entry below directory `path`.
    static func keyPrefix(below path: FileSystemPath) -> String {
        path.isRoot ? "fs-times:/" : "fs-times:" + path.description + "/"
    }

    /// version(1) ‖ modified seconds (u64 LE) ‖ nanoseconds (u32 LE) ‖ changed, likewise.
    var encoded: [UInt8] {
        var bytes: [UInt8] = [Self.formatVersion]
        for time in [modified, changed] {
            withUnsafeBytes(of: time.seconds.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: time.nanoseconds.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Decodes `encoded`; nil for another version or a malformed entry (never an error: times
    /// are advisory, and the sealed store already rejects tampering).
    init?(decoding bytes: [UInt8]) {
        guard bytes.count == Self.encodedCount, bytes[0] == Self.formatVersion else { return nil }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        let modified = Clocks.DateTime(seconds: u64(1), nanoseconds: u32(9))
        let changed = Clocks.DateTime(seconds: u64(13), nanoseconds: u32(21))
        guard modified.nanoseconds < 1_000_000_000, changed.nanoseconds < 1_000_000_000 else { return nil }
        self.init(modified: modified, changed: changed)
    }
}
