// Checks for wasi:io/streams, wasi:io/error and wasi:cli/{stdin,stdout,stderr}: file streams
// (read, write, append, splice, zeroes, flush, subscribe, errors) and the standard streams.

/// Opens `path` under `dir`; the descriptor or the error code.
func open(_ dir: Int32, _ path: StaticString, _ openFlags: Int32, _ flags: Int32) -> (fd: Int32, error: UInt8?) {
    let ret = area(8)
    withPath(path) { openAt(dir, 0, $0, $1, openFlags, flags, ret) }
    return ret.u8(0) == 0 ? (ret.i32(4), nil) : (-1, ret.u8(4))
}

/// A stream opened by read-via-stream/write-via-stream/append-via-stream, or -1.
private func stream(_ ret: UnsafeMutableRawPointer) -> Int32 { ret.u8(0) == 0 ? ret.i32(4) : -1 }

/// The whole contents of open file `fd` via descriptor.read.
func contents(_ fd: Int32) -> (UnsafeRawPointer?, Int) {
    let ret = area(16)
    read(fd, 4096, 0, ret)
    return ret.u8(0) == 0 ? (ret.pointer(4), Int(ret.u32(8))) : (nil, 0)
}

/// True when a result<_, stream-error> / result<u64, stream-error> is ok.
private func ok(_ ret: UnsafeMutableRawPointer) -> Bool { ret.u8(0) == 0 }

/// True when a result<…, stream-error> is err(closed); the case sits at `offset`.
private func closed(_ ret: UnsafeMutableRawPointer, at offset: Int) -> Bool { ret.u8(0) == 1 && ret.u8(offset) == 1 }

func checkStreams(_ dir: Int32) {
    let (fd, error) = open(dir, "s.txt", openCreate | openTruncate, descriptorRead | descriptorWrite)
    check("streams: open s.txt", error == nil)
    guard error == nil else { return }
    let ret = area(16)
    withPath("hello world") { write(fd, $0, $1, 0, ret) }

    // Input.
    readViaStream(fd, 0, ret)
    let input = stream(ret)
    check("descriptor.read-via-stream", input >= 0)
    inputRead(input, 5, ret)
    check("input-stream.read", ok(ret))
    expectBytes("input-stream.read bytes", ret.pointer(4), Int(ret.u32(8)), "hello")
    inputSkip(input, 1, ret)
    check("input-stream.skip", ok(ret) && ret.u64(8) == 1)
    inputBlockingRead(input, 100, ret)
    expectBytes("input-stream.blocking-read bytes", ret.pointer(4), Int(ret.u32(8)), "world")
    inputRead(input, 1, ret)
    check("input-stream.read at end is closed", closed(ret, at: 4))
    inputBlockingSkip(input, 1, ret)
    check("input-stream.blocking-skip at end is closed", closed(ret, at: 8))
    let inputReady = inputSubscribe(input)
    check("input-stream.subscribe is ready", pollableReady(inputReady) == 1)
    dropPollable(inputReady)
    dropInputStream(input)

    // Output at offset 0 overwrites "hello wor" with "HELLO", three zeroes and "Z".
    writeViaStream(fd, 0, ret)
    let output = stream(ret)
    check("descriptor.write-via-stream", output >= 0)
    outputCheckWrite(output, ret)
    check("output-stream.check-write permits writing", ok(ret) && ret.u64(8) > 0)
    withPath("HELLO") { outputWrite(output, $0, $1, ret) }
    check("output-stream.write", ok(ret))
    outputFlush(output, ret)
    check("output-stream.flush", ok(ret))
    outputWriteZeroes(output, 2, ret)
    check("output-stream.write-zeroes", ok(ret))
    outputBlockingWriteZeroesAndFlush(output, 1, ret)
    check("output-stream.blocking-write-zeroes-and-flush", ok(ret))
    withPath("Z") { outputBlockingWriteAndFlush(output, $0, $1, ret) }
    check("output-stream.blocking-write-and-flush", ok(ret))
    outputBlockingFlush(output, ret)
    check("output-stream.blocking-flush", ok(ret))
    let outputReady = outputSubscribe(output)
    check("output-stream.subscribe is ready", pollableReady(outputReady) == 1)
    dropPollable(outputReady)
    dropOutputStream(output)
    let (afterWrite, afterWriteCount) = contents(fd)
    expectBytes("write-via-stream result", afterWrite, afterWriteCount, "HELLO\0\0\0Zld")

    appendViaStream(fd, ret)
    let append = stream(ret)
    check("descriptor.append-via-stream", append >= 0)
    withPath("!!") { outputWrite(append, $0, $1, ret) }
    dropOutputStream(append)
    let (afterAppend, afterAppendCount) = contents(fd)
    expectBytes("append-via-stream result", afterAppend, afterAppendCount, "HELLO\0\0\0Zld!!")

    checkSplice(dir, from: fd)
    checkStreamError(dir, fd)
    dropDescriptor(fd)
}

/// splice and blocking-splice copy s.txt into copy.txt.
private func checkSplice(_ dir: Int32, from fd: Int32) {
    let (copy, error) = open(dir, "copy.txt", openCreate | openTruncate, descriptorRead | descriptorWrite)
    check("streams: open copy.txt", error == nil)
    let ret = area(16)
    readViaStream(fd, 0, ret)
    let source = stream(ret)
    writeViaStream(copy, 0, ret)
    let target = stream(ret)
    outputSplice(target, source, 5, ret)
    check("output-stream.splice", ok(ret) && ret.u64(8) == 5)
    outputBlockingSplice(target, source, 100, ret)
    check("output-stream.blocking-splice", ok(ret) && ret.u64(8) == 8)
    outputSplice(target, source, 1, ret)
    check("output-stream.splice from an ended stream is closed", closed(ret, at: 8))
    dropOutputStream(target)
    dropInputStream(source)
    let (copied, count) = contents(copy)
    expectBytes("splice result", copied, count, "HELLO\0\0\0Zld!!")
    dropDescriptor(copy)
}

/// A write the store refuses is `last-operation-failed` with an `error` that maps back to
/// the filesystem error code; opening a stream without the right flag is `bad-descriptor`.
private func checkStreamError(_ dir: Int32, _ fd: Int32) {
    let ret = area(16)
    writeViaStream(fd, 1 << 40, ret)
    let far = stream(ret)
    withPath("x") { outputWrite(far, $0, $1, ret) }
    check("output-stream.write past the file cap is last-operation-failed", ret.u8(0) == 1 && ret.u8(4) == 0)
    if ret.u8(0) == 1 && ret.u8(4) == 0 {
        let error = ret.i32(8)
        let text = area(8)
        errorToDebugString(error, text)
        check("error.to-debug-string is not empty", text.u32(4) > 0)
        let code = area(4)
        filesystemErrorCode(error, code)
        check("filesystem-error-code is some(file-too-large)", code.u8(0) == 1 && code.u8(1) == errorFileTooLarge)
        dropError(error)
    }
    dropOutputStream(far)
    let (writeOnly, _) = open(dir, "s.txt", 0, descriptorWrite)
    readViaStream(writeOnly, 0, ret)
    check("read-via-stream on a write-only descriptor is bad-descriptor", ret.u8(0) == 1 && ret.u8(4) == errorBadDescriptor)
    dropDescriptor(writeOnly)
}

func checkStdio() {
    let ret = area(16)
    let stdin = getStdin()
    inputRead(stdin, 10, ret)
    check("stdin.get-stdin reads as closed", closed(ret, at: 4))
    dropInputStream(stdin)
    let stdout = getStdout()
    withPath("wasi-suite: stdout line\n") { outputBlockingWriteAndFlush(stdout, $0, $1, ret) }
    check("stdout.get-stdout accepts a line", ok(ret))
    dropOutputStream(stdout)
    let stderr = getStderr()
    withPath("wasi-suite: stderr line\n") { outputWrite(stderr, $0, $1, ret) }
    check("stderr.get-stderr accepts a line", ok(ret))
    dropOutputStream(stderr)
    ret.storeBytes(of: 7, toByteOffset: 0, as: UInt8.self)
    getTerminalStdin(ret)
    check("terminal-stdin.get-terminal-stdin is none", ret.u8(0) == 0)
    ret.storeBytes(of: 7, toByteOffset: 0, as: UInt8.self)
    getTerminalStdout(ret)
    check("terminal-stdout.get-terminal-stdout is none", ret.u8(0) == 0)
    ret.storeBytes(of: 7, toByteOffset: 0, as: UInt8.self)
    getTerminalStderr(ret)
    check("terminal-stderr.get-terminal-stderr is none", ret.u8(0) == 0)
}
