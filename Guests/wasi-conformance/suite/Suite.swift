// The wasi-suite guest's exports (wit/world.wit, world `suite`). Every call runs in a fresh
// instance, so the bump allocator and the global report start empty each time.

/// Runs every check in directory `dir` (created under `/`, must not exist yet) and returns one
/// line per check. Files s.txt and copy.txt are left in `dir` so the host can check that
/// stream writes persisted.
@_expose(wasm, "run") @_cdecl("run")
func run(_ dir: UnsafeRawPointer?, _ dirLength: Int) -> UnsafeMutableRawPointer {
    reportLines = []
    let start = area(16)
    wallNow(start)
    checkRandom()
    checkClocks()
    checkPoll()
    checkEnvironment()
    checkStdio()
    if let root = checkPreopen() {
        if let directory = checkDirectories(root, dir, dirLength) {
            checkFiles(directory, startSeconds: start.u64(0))
            checkStreams(directory)
            checkTree(root, directory, dir, dirLength)
            dropDescriptor(directory)
        }
        dropDescriptor(root)
    }
    return returnReport()
}

/// get-random-bytes(n) (or get-insecure-random-bytes) and the length received; n above
/// 64 KiB makes the host trap the call.
@_expose(wasm, "random-len") @_cdecl("random_len")
func randomLen(_ n: UInt64, _ insecure: Int32) -> UInt32 {
    randomLength(n, insecure: insecure != 0)
}

/// Calls wasi:cli/exit with ok (success) or err: the call must end with an error either way.
@_expose(wasm, "exit-with") @_cdecl("exit_with")
func exitWithStatus(_ success: Int32) {
    exitWith(success != 0 ? 0 : 1)
    // exit never returns; reaching here would be a host bug, which the caller sees as a result.
}
