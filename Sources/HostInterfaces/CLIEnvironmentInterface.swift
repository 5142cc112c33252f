import Components

/// `wasi:cli/environment@0.2.0`: apps get no environment, no arguments, and `/` as their
/// working directory (so a libc resolves relative paths against the one preopen).
enum CLIEnvironmentInterface {
    static let interface = WASIInterface(name: "wasi:cli/environment@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("get-environment") { _, _ in [.list([])] },
        WASIInterface.function("get-arguments") { _, _ in [.list([])] },
        WASIInterface.function("initial-cwd") { _, _ in [.option(.string("/"))] },
    ]))
}
