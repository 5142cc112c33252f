// Checks for wasi:random/*, wasi:clocks/* and wasi:io/poll (wit/ and docs/sdk.md: 64 KiB random cap,
// monotonic never decreasing, real nanoseconds in the wall clock, only clock pollables wait).

/// Length of get-random-bytes(n) (or the insecure twin); n > 64 KiB traps in the host.
func randomLength(_ n: UInt64, insecure: Bool) -> UInt32 {
    let ret = area(8)
    if insecure { insecureRandomBytes(n, ret) } else { randomBytes(n, ret) }
    return ret.u32(4)
}

/// True when two 16-byte draws differ (2^-128 chance of a false failure).
private func drawsDiffer(insecure: Bool) -> Bool {
    let a = area(8), b = area(8)
    if insecure { insecureRandomBytes(16, a); insecureRandomBytes(16, b) } else { randomBytes(16, a); randomBytes(16, b) }
    guard a.u32(4) == 16, b.u32(4) == 16, let x = a.pointer(0), let y = b.pointer(0) else { return false }
    for i in 0..<16 where x.load(fromByteOffset: i, as: UInt8.self) != y.load(fromByteOffset: i, as: UInt8.self) { return true }
    return false
}

func checkRandom() {
    expect("random.get-random-bytes(32) length", UInt64(randomLength(32, insecure: false)), 32)
    expect("random.get-random-bytes(0) length", UInt64(randomLength(0, insecure: false)), 0)
    expect("random.get-random-bytes(65536) length (the cap)", UInt64(randomLength(65536, insecure: false)), 65536)
    check("random.get-random-bytes draws differ", drawsDiffer(insecure: false))
    check("random.get-random-u64 draws differ", randomU64() != randomU64())
    expect("insecure.get-insecure-random-bytes(64) length", UInt64(randomLength(64, insecure: true)), 64)
    expect("insecure.get-insecure-random-bytes(65536) length", UInt64(randomLength(65536, insecure: true)), 65536)
    check("insecure.get-insecure-random-bytes draws differ", drawsDiffer(insecure: true))
    check("insecure.get-insecure-random-u64 draws differ", insecureRandomU64() != insecureRandomU64())
    let first = area(16), second = area(16)
    insecureSeed(first)
    insecureSeed(second)
    check("insecure-seed is fixed for the call", first.u64(0) == second.u64(0) && first.u64(8) == second.u64(8))
    check("insecure-seed is not zero", first.u64(0) != 0 || first.u64(8) != 0)
}

func checkClocks() {
    let now = area(16)
    wallNow(now)
    check("wall-clock.now seconds are after 2020", now.u64(0) > 1_577_836_800)
    check("wall-clock.now nanoseconds < 1e9", now.u32(8) < 1_000_000_000)
    // Real nanoseconds: over a few thousand reads the sub-second part takes many values, and
    // not only multiples of a millisecond (a clock faking nanoseconds from milliseconds would).
    var distinct = 0, subMillisecond = false, last = now.u32(8)
    for _ in 0..<2000 {
        wallNow(now)
        let nanos = now.u32(8)
        if nanos != last { distinct += 1; last = nanos }
        if nanos % 1_000_000 != 0 { subMillisecond = true }
    }
    var detail = Text("distinct values: ")
    detail.append(decimal: UInt64(distinct))
    check("wall-clock.now has real nanoseconds", distinct > 1 && subMillisecond, detail)
    let resolution = area(16)
    wallResolution(resolution)
    check("wall-clock.resolution is positive and at most 1 ms",
          resolution.u64(0) == 0 && resolution.u32(8) > 0 && resolution.u32(8) <= 1_000_000)

    var previous = monotonicNow(), decreased = false
    for _ in 0..<20000 {
        let current = monotonicNow()
        if current < previous { decreased = true }
        previous = current
    }
    check("monotonic-clock.now never decreases (20000 reads)", !decreased)
    let tick = monotonicResolution()
    check("monotonic-clock.resolution is positive and at most 1 ms", tick > 0 && tick <= 1_000_000)
}

func checkPoll() {
    // A 10 s pollable is not ready now; one due 20 ms ahead becomes ready by blocking on it.
    let far = subscribeDuration(10_000_000_000)
    check("monotonic-clock.subscribe-duration(10 s) is not ready yet", pollableReady(far) == 0)
    let start = monotonicNow()
    let soon = subscribeInstant(start + 20_000_000)
    pollableBlock(soon)
    let waited = monotonicNow() - start
    var detail = Text("waited ns: ")
    detail.append(decimal: waited)
    check("pollable.block waits until subscribe-instant's deadline", waited >= 20_000_000, detail)
    check("pollable.ready after the deadline", pollableReady(soon) == 1)
    let past = subscribeInstant(0)
    check("subscribe-instant(0) is ready", pollableReady(past) == 1)

    // poll([far, past]) returns only index 1, without waiting for `far`.
    let list = area(8)
    list.storeBytes(of: far, toByteOffset: 0, as: Int32.self)
    list.storeBytes(of: past, toByteOffset: 4, as: Int32.self)
    let ret = area(8)
    let before = monotonicNow()
    poll(UnsafeRawPointer(list), 2, ret)
    let count = ret.u32(4)
    check("poll returns only the ready pollable",
          count == 1 && ret.pointer(0)?.load(as: UInt32.self) == 1 && monotonicNow() - before < 5_000_000_000)
    dropPollable(far)
    dropPollable(soon)
    dropPollable(past)
}

func checkEnvironment() {
    let env = area(8)
    getEnvironment(env)
    expect("environment.get-environment is empty", UInt64(env.u32(4)), 0)
    let args = area(8)
    getArguments(args)
    expect("environment.get-arguments is empty", UInt64(args.u32(4)), 0)
    let cwd = area(12)
    initialCwd(cwd)
    check("environment.initial-cwd is some", cwd.u8(0) == 1)
    if cwd.u8(0) == 1 { expectBytes("environment.initial-cwd is /", cwd.pointer(4), Int(cwd.u32(8)), "/") }
}
