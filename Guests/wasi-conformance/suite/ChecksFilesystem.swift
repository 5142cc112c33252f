// Checks for wasi:filesystem/{preopens,types}: the preopen, directories (create, open with the
// directory flag, list, remove), files (read, write, stat, set-size, sync, advise, set-times,
// metadata hashes, rename, unlink) and the error codes docs/sdk.md promises.

/// The stat result of `fd` (or of `path` under it): nil on error, with the code.
struct Stat {
    var type: UInt8, links: UInt64, size: UInt64
    /// data-modification-timestamp and status-change-timestamp, when present.
    var modified: (seconds: UInt64, nanos: UInt32)?, changed: (seconds: UInt64, nanos: UInt32)?
}

private func stat(_ ret: UnsafeMutableRawPointer) -> Stat? {
    guard ret.u8(0) == 0 else { return nil }
    func time(_ at: Int) -> (UInt64, UInt32)? { ret.u8(at) == 1 ? (ret.u64(at + 8), ret.u32(at + 16)) : nil }
    return Stat(type: ret.u8(8), links: ret.u64(16), size: ret.u64(24), modified: time(56), changed: time(80))
}

/// The error code of a `result<_, error-code>`-shaped area whose code sits at `offset`, or nil on ok.
private func code(_ ret: UnsafeMutableRawPointer, at offset: Int = 1) -> UInt8? { ret.u8(0) == 0 ? nil : ret.u8(offset) }

private func expectCode(_ name: StaticString, _ got: UInt8?, _ want: UInt8) {
    var detail = Text("got ")
    if let got { detail.append("error "); detail.append(decimal: UInt64(got)) } else { detail.append("ok") }
    check(name, got == want, detail)
}

/// get-directories: exactly one preopen, `/`, a mutable directory. Returns its descriptor.
func checkPreopen() -> Int32? {
    let ret = area(8)
    getDirectories(ret)
    expect("preopens.get-directories has one preopen", UInt64(ret.u32(4)), 1)
    guard ret.u32(4) >= 1, let list = ret.pointer(0) else { return nil }
    let root = list.load(as: Int32.self)
    expectBytes("preopens.get-directories path is /", list.load(fromByteOffset: 4, as: UInt32.self) == 0 ? nil :
                UnsafeRawPointer(bitPattern: UInt(list.load(fromByteOffset: 4, as: UInt32.self))),
                Int(list.load(fromByteOffset: 8, as: UInt32.self)), "/")
    let flags = area(4), type = area(4)
    getFlags(root, flags)
    check("descriptor.get-flags of / has read and mutate-directory",
          flags.u8(0) == 0 && Int32(flags.u8(1)) & (descriptorRead | descriptorMutateDirectory) == descriptorRead | descriptorMutateDirectory)
    getType(root, type)
    check("descriptor.get-type of / is directory", type.u8(0) == 0 && type.u8(1) == typeDirectory)
    return root
}

/// Creates directory `name` (and `name/sub`) and returns `name` opened with the directory flag.
func checkDirectories(_ root: Int32, _ name: UnsafeRawPointer?, _ length: Int) -> Int32? {
    let ret = area(8)
    createDirectoryAt(root, name, length, ret)
    check("descriptor.create-directory-at", code(ret) == nil)
    createDirectoryAt(root, name, length, ret)
    expectCode("create-directory-at an existing directory is exist", code(ret), errorExist)
    openAt(root, 0, name, length, openDirectory, descriptorRead | descriptorMutateDirectory, ret)
    check("descriptor.open-at with the directory flag", code(ret, at: 4) == nil)
    guard ret.u8(0) == 0 else { return nil }
    let dir = ret.i32(4)
    withPath("sub") { createDirectoryAt(dir, $0, $1, ret) }
    check("create-directory-at a nested directory", code(ret) == nil)
    withPath("missing/deeper") { createDirectoryAt(dir, $0, $1, ret) }
    expectCode("create-directory-at under a missing directory is no-entry", code(ret), errorNoEntry)
    let again = area(8)
    openAt(root, 0, name, length, openDirectory, descriptorRead, again)
    check("descriptor.is-same-object of two opens of one directory", again.u8(0) == 0 && isSameObject(dir, again.i32(4)) == 1)
    check("descriptor.is-same-object of different directories", isSameObject(dir, root) == 0)
    if again.u8(0) == 0 { dropDescriptor(again.i32(4)) }
    return dir
}

func checkFiles(_ dir: Int32, startSeconds: UInt64) {
    expectCode("open-at without create on a missing file is no-entry",
               open(dir, "a.txt", 0, descriptorRead).error, errorNoEntry)
    let (fd, error) = open(dir, "a.txt", openCreate | openExclusive, descriptorRead | descriptorWrite)
    check("open-at create|exclusive", error == nil)
    guard error == nil else { return }
    expectCode("open-at create|exclusive on an existing file is exist",
               open(dir, "a.txt", openCreate | openExclusive, descriptorRead).error, errorExist)
    expectCode("open-at with the directory flag on a file is not-directory",
               open(dir, "a.txt", openDirectory, descriptorRead).error, errorNotDirectory)
    expectCode("open-at under a missing directory is no-entry",
               open(dir, "nodir/x.txt", openCreate, descriptorWrite).error, errorNoEntry)
    expectCode("open-at escaping the preopen is not-permitted",
               open(dir, "../../x.txt", openCreate, descriptorWrite).error, errorNotPermitted)

    let ret = area(112)
    withPath("hello world") { write(fd, $0, $1, 0, ret) }
    check("descriptor.write returns the count", ret.u8(0) == 0 && ret.u64(8) == 11)
    read(fd, 5, 0, ret)
    expectBytes("descriptor.read", ret.pointer(4), Int(ret.u32(8)), "hello")
    check("descriptor.read short of the end is not end-of-file", ret.u8(0) == 0 && ret.u8(12) == 0)
    read(fd, 100, 6, ret)
    expectBytes("descriptor.read at an offset", ret.pointer(4), Int(ret.u32(8)), "world")
    check("descriptor.read to the end is end-of-file", ret.u8(0) == 0 && ret.u8(12) == 1)
    read(dir, 1, 0, ret)
    expectCode("descriptor.read on a directory is is-directory", code(ret, at: 4), errorIsDirectory)

    stat(fd, ret)
    let fileStat = stat(ret)
    check("descriptor.stat of a file", fileStat?.type == typeRegularFile && fileStat?.size == 11 && fileStat?.links == 1)
    checkTimestamps(fileStat, startSeconds: startSeconds)
    withPath("a.txt") { statAt(dir, 0, $0, $1, ret) }
    check("descriptor.stat-at of a file", stat(ret)?.size == 11 && stat(ret)?.type == typeRegularFile)
    withPath("sub") { statAt(dir, 0, $0, $1, ret) }
    check("descriptor.stat-at of a directory", stat(ret)?.type == typeDirectory)
    withPath("nothing-here") { statAt(dir, 0, $0, $1, ret) }
    expectCode("descriptor.stat-at of a missing path is no-entry", code(ret, at: 8), errorNoEntry)
    getType(fd, ret)
    check("descriptor.get-type of a file is regular-file", ret.u8(0) == 0 && ret.u8(1) == typeRegularFile)
    getFlags(fd, ret)
    check("descriptor.get-flags of a file is read|write", ret.u8(0) == 0 && Int32(ret.u8(1)) == descriptorRead | descriptorWrite)

    setSize(fd, 5, ret)
    check("descriptor.set-size", code(ret) == nil)
    stat(fd, ret)
    expect("set-size shrinks the file", stat(ret)?.size ?? 0, 5)
    syncData(fd, ret)
    check("descriptor.sync-data", code(ret) == nil)
    sync(fd, ret)
    check("descriptor.sync", code(ret) == nil)
    sync(dir, ret)
    check("descriptor.sync on a directory", code(ret) == nil)
    advise(fd, 0, 5, adviceSequential, ret)
    check("descriptor.advise", code(ret) == nil)
    setTimes(fd, timestampNoChange, 0, 0, timestampNow, 0, 0, ret)
    check("descriptor.set-times", code(ret) == nil)
    withPath("a.txt") { setTimesAt(dir, 0, $0, $1, timestampNoChange, 0, 0, timestampNoChange, 0, 0, ret) }
    check("descriptor.set-times-at", code(ret) == nil)
    withPath("nothing-here") { setTimesAt(dir, 0, $0, $1, timestampNow, 0, 0, timestampNow, 0, 0, ret) }
    expectCode("set-times-at of a missing path is no-entry", code(ret), errorNoEntry)
    // Explicit modification times are kept and reported back (access times are not kept).
    setTimes(fd, timestampNoChange, 0, 0, timestampExact, 1_234_567_890, 42, ret)
    stat(fd, ret)
    check("set-times sets the modification time",
          stat(ret)?.modified?.seconds == 1_234_567_890 && stat(ret)?.modified?.nanos == 42)
    withPath("a.txt") { setTimesAt(dir, 0, $0, $1, timestampNoChange, 0, 0, timestampExact, 1_000_000_001, 7, ret) }
    withPath("a.txt") { statAt(dir, 0, $0, $1, ret) }
    check("set-times-at sets the modification time",
          stat(ret)?.modified?.seconds == 1_000_000_001 && stat(ret)?.modified?.nanos == 7)

    checkMetadataHashes(dir, fd)
    checkLinks(dir)
    dropDescriptor(fd)
}

/// Required: real modification/status-change times, in wall-clock seconds of this run.
private func checkTimestamps(_ stat: Stat?, startSeconds: UInt64) {
    let now = area(16)
    wallNow(now)
    let end = now.u64(0)
    guard let modified = stat?.modified, let changed = stat?.changed else {
        return check("descriptor.stat has modification and status-change timestamps", false)
    }
    check("stat data-modification-timestamp is from this run",
          modified.seconds + 1 >= startSeconds && modified.seconds <= end && modified.nanos < 1_000_000_000)
    check("stat status-change-timestamp is from this run",
          changed.seconds + 1 >= startSeconds && changed.seconds <= end && changed.nanos < 1_000_000_000)
}

private func checkMetadataHashes(_ dir: Int32, _ fd: Int32) {
    let byDescriptor = area(24), byPath = area(24), other = area(24)
    metadataHash(fd, byDescriptor)
    check("descriptor.metadata-hash", byDescriptor.u8(0) == 0)
    withPath("a.txt") { metadataHashAt(dir, 0, $0, $1, byPath) }
    check("descriptor.metadata-hash-at equals metadata-hash of the same file",
          byPath.u8(0) == 0 && byPath.u64(8) == byDescriptor.u64(8) && byPath.u64(16) == byDescriptor.u64(16))
    withPath("sub") { metadataHashAt(dir, 0, $0, $1, other) }
    check("metadata-hash-at differs between objects",
          other.u8(0) == 0 && (other.u64(8) != byDescriptor.u64(8) || other.u64(16) != byDescriptor.u64(16)))
}

/// The store has no links: link-at/symlink-at are unsupported, readlink-at is invalid.
private func checkLinks(_ dir: Int32) {
    let ret = area(16)
    withPath("a.txt") { old, oldLength in withPath("link.txt") { linkAt(dir, 0, old, oldLength, dir, $0, $1, ret) } }
    expectCode("descriptor.link-at is unsupported", code(ret), errorUnsupported)
    withPath("a.txt") { old, oldLength in withPath("sym.txt") { symlinkAt(dir, old, oldLength, $0, $1, ret) } }
    expectCode("descriptor.symlink-at is unsupported", code(ret), errorUnsupported)
    withPath("a.txt") { readlinkAt(dir, $0, $1, ret) }
    expectCode("descriptor.readlink-at of a file is invalid", code(ret, at: 4), errorInvalid)
}
