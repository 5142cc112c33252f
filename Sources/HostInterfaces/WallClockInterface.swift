import Components

/// `wasi:clocks/wall-clock@0.2.0`: real seconds and nanoseconds.
enum WallClockInterface {
    static let interface = WASIInterface(name: "wasi:clocks/wall-clock@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("now") { _, _ in [WITValue.datetime(Clocks.wallNow())] },
        WASIInterface.function("resolution") { _, _ in [WITValue.datetime(Clocks.wallResolution())] },
    ]))
}
