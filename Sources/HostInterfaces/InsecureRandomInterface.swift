import Components

/// `wasi:random/insecure@0.2.0`: served by the same CSPRNG (it is cheap enough, and "insecure"
/// only permits weaker output), with the same 64 KiB cap.
enum InsecureRandomInterface {
    static let interface = WASIInterface(name: "wasi:random/insecure@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("get-insecure-random-bytes") { _, args in
            [ComponentValue.bytes(try RandomInterface.randomBytes(args.u64(0)))]
        },
        WASIInterface.function("get-insecure-random-u64") { _, _ in
            [.u64(EntropySource.u64())]
        },
    ]))
}
