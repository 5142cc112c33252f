// Checks that the directory tree behaves like one: read-directory lists direct children only,
// rename-at moves, unlink-file-at deletes, remove-directory-at needs an empty directory.

/// Reads every entry of directory `dir` as "name/" (directory) or "name" (file), joined by ",".
private func listing(_ dir: Int32) -> Text? {
    let ret = area(8)
    readDirectory(dir, ret)
    guard ret.u8(0) == 0 else { return nil }
    let stream = ret.i32(4)
    var text = Text()
    let entry = area(20)
    while true {
        readDirectoryEntry(stream, entry)
        guard entry.u8(0) == 0, entry.u8(4) == 1 else { break }
        if !text.bytes.isEmpty { text.append(",") }
        text.append(entry.pointer(12), Int(entry.u32(16)))
        if entry.u8(8) == typeDirectory { text.append("/") }
    }
    check("directory-entry-stream.read-directory-entry ends with none", entry.u8(0) == 0 && entry.u8(4) == 0)
    dropDirectoryEntryStream(stream)
    return text
}

private func expectListing(_ name: StaticString, _ dir: Int32, _ want: StaticString) {
    guard let got = listing(dir) else { return check(name, false, Text("read-directory failed")) }
    expectBytes(name, got.bytes.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) }, got.bytes.count, want)
}

func checkTree(_ root: Int32, _ dir: Int32, _ name: UnsafeRawPointer?, _ length: Int) {
    let ret = area(16)
    // From checkFiles and checkStreams: a.txt, copy.txt, s.txt and the directory sub.
    expectListing("descriptor.read-directory lists direct children", dir, "a.txt,copy.txt,s.txt,sub/")
    let (nested, _) = open(dir, "sub/deep.txt", openCreate, descriptorWrite)
    dropDescriptor(nested)
    expectListing("read-directory does not list grandchildren", dir, "a.txt,copy.txt,s.txt,sub/")

    withPath("a.txt") { old, oldLength in withPath("b.txt") { renameAt(dir, old, oldLength, dir, $0, $1, ret) } }
    check("descriptor.rename-at", ret.u8(0) == 0)
    withPath("a.txt") { statAt(dir, 0, $0, $1, ret) }
    check("rename-at removes the old name", ret.u8(0) == 1 && ret.u8(8) == errorNoEntry)
    let (renamed, renamedError) = open(dir, "b.txt", 0, descriptorRead)
    if renamedError == nil {
        let (bytes, count) = contents(renamed)
        expectBytes("rename-at keeps the contents", bytes, count, "hello")
        dropDescriptor(renamed)
    } else {
        check("rename-at keeps the contents", false)
    }

    withPath("b.txt") { unlinkFileAt(dir, $0, $1, ret) }
    check("descriptor.unlink-file-at", ret.u8(0) == 0)
    withPath("b.txt") { unlinkFileAt(dir, $0, $1, ret) }
    check("unlink-file-at of a missing file is no-entry", ret.u8(0) == 1 && ret.u8(1) == errorNoEntry)
    withPath("sub") { unlinkFileAt(dir, $0, $1, ret) }
    check("unlink-file-at of a directory is is-directory", ret.u8(0) == 1 && ret.u8(1) == errorIsDirectory)

    withPath("sub") { removeDirectoryAt(dir, $0, $1, ret) }
    check("remove-directory-at of a non-empty directory is not-empty", ret.u8(0) == 1 && ret.u8(1) == errorNotEmpty)
    withPath("sub/deep.txt") { unlinkFileAt(dir, $0, $1, ret) }
    withPath("sub") { removeDirectoryAt(dir, $0, $1, ret) }
    check("descriptor.remove-directory-at", ret.u8(0) == 0)
    withPath("sub") { statAt(dir, 0, $0, $1, ret) }
    check("a removed directory is gone", ret.u8(0) == 1 && ret.u8(8) == errorNoEntry)
    removeDirectoryAt(root, name, length, ret)
    check("remove-directory-at keeps a directory with files", ret.u8(0) == 1 && ret.u8(1) == errorNotEmpty)
    expectListing("read-directory after the changes", dir, "copy.txt,s.txt")
}
