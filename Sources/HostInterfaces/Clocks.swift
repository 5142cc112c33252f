#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The time sources behind `wasi:clocks` (wit/ and docs/sdk.md).
public enum Clocks {
    /// A `wasi:clocks/wall-clock.datetime`.
    public struct DateTime: Sendable, Equatable {
        /// Seconds since 1970-01-01T00:00:00Z.
        public var seconds: UInt64
        /// Always below 1,000,000,000.
        public var nanoseconds: UInt32
    }

    private static func read(_ clock: clockid_t) -> timespec {
        var now = timespec()
        clock_gettime(clock, &now)
        return now
    }

    /// The wall clock with its real nanoseconds (the original reported whole seconds only).
    /// A clock set before 1970 reads as the epoch: `datetime` cannot be negative.
    public static func wallNow() -> DateTime {
        let now = read(CLOCK_REALTIME)
        guard now.tv_sec >= 0 else { return DateTime(seconds: 0, nanoseconds: 0) }
        return DateTime(seconds: UInt64(now.tv_sec), nanoseconds: UInt32(clamping: now.tv_nsec))
    }

    /// The wall clock's resolution (1 ns on Linux).
    public static func wallResolution() -> DateTime {
        var resolution = timespec()
        clock_getres(CLOCK_REALTIME, &resolution)
        return DateTime(seconds: UInt64(max(0, resolution.tv_sec)), nanoseconds: UInt32(clamping: max(1, resolution.tv_nsec)))
    }

    /// The latest monotonic reading handed out. Process-wide, so monotonic readings never go back
    /// between calls either.
    private static let lastMonotonic = Mutex<UInt64>(0)
    private static let baseline = rawMonotonic()

    private static func rawMonotonic() -> UInt64 {
        let now = read(CLOCK_MONOTONIC)
        return UInt64(max(0, now.tv_sec)) &* 1_000_000_000 &+ UInt64(max(0, now.tv_nsec))
    }

    /// Nanoseconds since this process first read the clock, never less than any earlier reading.
    ///
    /// Counting from our own baseline rather than the kernel's boot time keeps the host's
    /// uptime from the guest; the clamp makes "never decreasing" hold by construction rather
    /// than by trusting the platform (a TEE's time source is host-influenced).
    public static func monotonicNow() -> UInt64 {
        let raw = rawMonotonic()
        let elapsed = raw >= baseline ? raw - baseline : 0
        return lastMonotonic.withLock { last in
            if elapsed > last { last = elapsed }
            return last
        }
    }

    /// The monotonic clock's resolution in nanoseconds (at least 1).
    public static func monotonicResolution() -> UInt64 {
        var resolution = timespec()
        clock_getres(CLOCK_MONOTONIC, &resolution)
        return max(1, UInt64(max(0, resolution.tv_sec)) * 1_000_000_000 + UInt64(max(0, resolution.tv_nsec)))
    }
}

extension Clocks {
    /// Sleeps the calling worker thread (poll's only wait); restarts after signals.
    static func sleep(nanoseconds: UInt64) {
        guard nanoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
