import Components

/// `wasi:clocks/monotonic-clock@0.2.0`: nanoseconds that never go back; pollables that become
/// ready at an instant (waiting on them counts against the call's blocking budget).
enum MonotonicClockInterface {
    static let interface = WASIInterface(name: "wasi:clocks/monotonic-clock@0.2.0", functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("now") { _, _ in [.u64(Clocks.monotonicNow())] },
        WASIInterface.function("resolution") { _, _ in [.u64(Clocks.monotonicResolution())] },
        WASIInterface.function("subscribe-instant") { session, args in
            [.handle(try session.subscribe(deadline: args.u64(0)))]
        },
        WASIInterface.function("subscribe-duration") { session, args in
            let (deadline, overflow) = Clocks.monotonicNow().addingReportingOverflow(try args.u64(0))
            return [.handle(try session.subscribe(deadline: overflow ? UInt64.max : deadline))]
        },
    ]))
}
