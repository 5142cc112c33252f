import Components

/// `wasi:filesystem/preopens@0.2.0`: one preopen, `/`, the app's sealed filesystem.
enum PreopensInterface {
    static let interface = WASIInterface(name: "wasi:filesystem/preopens@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("get-directories") { session, _ in
            [.list(try session.preopens().map { .tuple([.handle($0.rep), .string($0.path)]) })]
        },
    ]))
}
