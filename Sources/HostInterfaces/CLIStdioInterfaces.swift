import Components

/// `wasi:cli/{stdin,stdout,stderr}@0.2.0` (one WIT file upstream, three tiny interfaces):
/// stdin is empty and closed; stdout and stderr lines go to the server log, tagged with the app.
enum CLIStdioInterfaces {
    static let stdin = WASIInterface(name: "wasi:cli/stdin@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("get-stdin") { session, _ in [.handle(try session.standardStream(nil))] },
    ]))
    static let stdout = WASIInterface(name: "wasi:cli/stdout@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("get-stdout") { session, _ in [.handle(try session.standardStream(.stdout))] },
    ]))
    static let stderr = WASIInterface(name: "wasi:cli/stderr@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("get-stderr") { session, _ in [.handle(try session.standardStream(.stderr))] },
    ]))
}
