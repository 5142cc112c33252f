import Components

/// `wasi:cli/terminal-{input,output,stdin,stdout,stderr}@0.2.0`: an app never runs on a terminal,
/// so every `get-terminal-*` answers `none` and no terminal resource is ever handed out. Language
/// runtimes (e.g. componentize-py's CPython) import these to decide on line buffering.
enum CLITerminalInterfaces {
    /// The five interfaces, in WIT order.
    static let all: [WASIInterface] = [
        WASIInterface(name: "wasi:cli/terminal-input@0.2.0", functions: [:], resources: ["terminal-input": noHandle]),
        WASIInterface(name: "wasi:cli/terminal-output@0.2.0", functions: [:], resources: ["terminal-output": noHandle]),
        noTerminal("wasi:cli/terminal-stdin@0.2.0", "get-terminal-stdin"),
        noTerminal("wasi:cli/terminal-stdout@0.2.0", "get-terminal-stdout"),
        noTerminal("wasi:cli/terminal-stderr@0.2.0", "get-terminal-stderr"),
    ]

    /// Never called: no terminal handle exists to be dropped.
    private static let noHandle: WASIDestructor = { _, _ in }

    private static func noTerminal(_ name: String, _ function: String) -> WASIInterface {
        WASIInterface(name: name, functions: Dictionary(uniqueKeysWithValues: [
            WASIInterface.function(function) { _, _ in [.option(nil)] },
        ]))
    }
}
