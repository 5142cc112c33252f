import Foundation

/// SplitMix64: a tiny deterministic generator, so every randomized input (differential values,
/// fuzz mutants) is reproducible from a seed printed in the failure message.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// True with probability 1/n.
    mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }
}

/// Where the committed components live, found relative to this source file (no SwiftPM resources).
enum GuestFiles {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let guestsDirectory = testsDirectory.appendingPathComponent("Guests")
    static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    /// Components written for the fuzzer: name sections (in and out of range) and every trap.
    static let fuzzSeedsDirectory = guestsDirectory.appendingPathComponent("fuzz-seeds")

    /// Our differential guests plus the other committed components of the repository, by path.
    static func allComponents() -> [URL] {
        var urls: [URL] = []
        let fm = FileManager.default
        let ownDir = guestsDirectory
        let fixtureDir = repositoryRoot.appendingPathComponent("Tests/ComponentsTests/Fixtures")
        for dir in [ownDir, fuzzSeedsDirectory, fixtureDir] {
            let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".wasm") && name != "core-module.wasm" {
                urls.append(dir.appendingPathComponent(name))
            }
        }
        let testGuest = repositoryRoot.appendingPathComponent("Guests/test-guest/test-guest.wasm")
        if fm.fileExists(atPath: testGuest.path) { urls.append(testGuest) }
        return urls
    }
}
