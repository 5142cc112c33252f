import Components

/// `wasi:random/random@0.2.0`: the CSPRNG, at most 64 KiB per call (a larger request traps:
/// the function has no error channel, and silently returning fewer bytes would break callers
/// that trust the length).
enum RandomInterface {
    static let interface = WASIInterface(name: "wasi:random/random@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("get-random-bytes") { _, args in
            [ComponentValue.bytes(try randomBytes(args.u64(0)))]
        },
        WASIInterface.function("get-random-u64") { _, _ in
            [.u64(EntropySource.u64())]
        },
    ]))

    /// `EntropySource.bytes` with the cap failure as a trap.
    static func randomBytes(_ count: UInt64) throws -> [UInt8] {
        do { return try EntropySource.bytes(count) } catch let failure as EntropySource.Failure {
            throw WASIHostFault.random(failure)
        }
    }
}
