import Components

/// `wasi:io/error@0.2.0`: the `error` resource behind `stream-error.last-operation-failed`.
enum IOErrorInterface {
    static let interface = WASIInterface(
        name: "wasi:io/error@0.2.0",
        functions: Dictionary(uniqueKeysWithValues: [
            WASIInterface.function("[method]error.to-debug-string") { session, args in
                let info: WASISession.ErrorInfo
                do { info = try session.errors.get(args.handle(0)) } catch { throw WASIHostFault.badHandle("\(error)") }
                return [.string(info.message)]
            },
        ]),
        resources: ["error": { session, rep in _ = try? session.errors.remove(rep) }]
    )
}
