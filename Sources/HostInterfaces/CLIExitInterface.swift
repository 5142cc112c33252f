import Components

/// `wasi:cli/exit@0.2.0`: ends the call with an error (wit/ and docs/sdk.md), whatever the status: a call
/// must return its export's result, and exiting means it will not.
enum CLIExitInterface {
    static let interface = WASIInterface(name: "wasi:cli/exit@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("exit") { session, args in
            var success = false
            if case .result(let isError, _)? = args.values.first { success = !isError }
            session.exitStatus = success
            throw WASIHostFault.exit(success: success)
        },
    ]))
}
