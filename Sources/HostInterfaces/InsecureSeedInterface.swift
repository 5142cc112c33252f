import Components

/// `wasi:random/insecure-seed@0.2.0`: 128 random bits, fixed for the call (the interface is
/// meant to seed hash maps once).
enum InsecureSeedInterface {
    static let interface = WASIInterface(name: "wasi:random/insecure-seed@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("insecure-seed") { session, _ in
            let seed = session.insecureSeed
            return [.tuple([.u64(seed.0), .u64(seed.1)])]
        },
    ]))
}
