import Components

/// `wasi:io/poll@0.2.0`: synchronous; only clock pollables ever wait.
enum PollInterface {
    static let interface = WASIInterface(
        name: "wasi:io/poll@0.2.0",
        functions: Dictionary(uniqueKeysWithValues: [
            WASIInterface.function("[method]pollable.ready") { session, args in
                [.bool(try session.isReady(args.handle(0)))]
            },
            WASIInterface.function("[method]pollable.block") { session, args in
                try session.block(args.handle(0))
                return []
            },
            WASIInterface.function("poll") { session, args in
                [.list(try session.poll(args.handles(0)).map { .u32($0) })]
            },
        ]),
        resources: ["pollable": { session, rep in _ = try? session.pollables.remove(rep) }]
    )
}
