#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clock read leases are measured on: nanoseconds of `CLOCK_BOOTTIME` (monotonic, and it
/// keeps counting while the machine is suspended, so a suspended node does not wake up believing
/// its leases are younger than they are). Its *rate* is trusted: a host that slows this clock
/// against the database's makes a node trust a lease past its end (docs/cluster.md).
enum LeaseClock {
    static func now() -> UInt64 {
        var time = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_BOOTTIME, &time)
        #else
        clock_gettime(CLOCK_MONOTONIC, &time)
        #endif
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
