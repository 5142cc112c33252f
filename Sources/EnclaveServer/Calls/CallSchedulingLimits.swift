/// How component calls share the server's execution slots (docs/operations.md, "Calls").
public struct CallSchedulingLimits: Sendable, Equatable {
    /// Calls running at once across all apps (`--max-concurrent-calls`); more wait their turn.
    public var slots: Int
    /// Slots one app may hold at once (`--max-calls-per-app`), so that long calls of one app
    /// leave slots for the others. Waiting calls are served round-robin between apps.
    public var slotsPerApp: Int
    /// Calls that may wait in a host operation (HTTPS egress) without holding a slot, across
    /// all apps (`--max-blocked-calls`). A call over it keeps its slot while it waits.
    public var maxBlocked: Int
    /// The same, per app (`--max-blocked-calls-per-app`).
    public var maxBlockedPerApp: Int
    /// An export whose last few calls each took at most this much CPU time (and, those that
    /// waited, 10× as much wall-clock time) may have its calls run on the event loop that received them, when a slot
    /// is free and nobody waits:
    /// no hand-off to a call thread and back. Zero: never. `InlineCallHistory` has the rules.
    public var inlineCallLimit: Duration

    /// 100 µs: less than the loop spends on one TLS handshake.
    public static let defaultInlineCallLimit: Duration = .microseconds(100)

    /// Limits for `slots` execution slots: a quarter of them per app (at least one), 64 calls
    /// waiting outside a slot, 16 of them per app.
    public init(slots: Int = 8, slotsPerApp: Int? = nil, maxBlocked: Int = 64, maxBlockedPerApp: Int = 16,
                inlineCallLimit: Duration = defaultInlineCallLimit) {
        self.inlineCallLimit = max(.zero, inlineCallLimit)
        self.slots = max(1, slots)
        self.slotsPerApp = min(self.slots, max(1, slotsPerApp ?? Self.defaultSlotsPerApp(slots: self.slots)))
        self.maxBlocked = max(0, maxBlocked)
        self.maxBlockedPerApp = max(0, min(self.maxBlocked, maxBlockedPerApp))
    }

    /// A quarter of the slots, at least one: three apps running long calls still leave a
    /// quarter of the slots to everyone else.
    public static func defaultSlotsPerApp(slots: Int) -> Int {
        max(1, slots / 4)
    }
}
