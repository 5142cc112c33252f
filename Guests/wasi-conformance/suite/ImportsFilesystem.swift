// Canonical-ABI glue for wasi:filesystem/{types,preopens}@0.2.0 (conventions: ImportsBasics.swift).
//
// Result layouts (return area), error-code is an enum (u8):
// - result<_, error-code>, result<descriptor-flags|descriptor-type, error-code>: tag @0, value @1.
// - result<own<T>, error-code>, result<string, error-code>: tag @0, handle/code @4 (string: ptr @4, len @8).
// - result<u64, error-code>, result<metadata-hash-value, error-code>: tag @0, payload @8.
// - result<descriptor-stat, error-code>: tag @0; type @8, link-count @16, size @24, then three
//   option<datetime> at @32, @56, @80 (each: tag @+0, seconds @+8, nanoseconds @+16).
// path-flags and open-flags/descriptor-flags are bit sets in an i32.

/// get-directories() -> list<tuple<own<descriptor>, string>>: (ptr @0, len @4), 12-byte elements.
@_extern(wasm, module: "wasi:filesystem/preopens@0.2.0", name: "get-directories") @_extern(c)
func getDirectories(_ ret: UnsafeMutableRawPointer)

@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.read-via-stream") @_extern(c)
func readViaStream(_ fd: Int32, _ offset: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.write-via-stream") @_extern(c)
func writeViaStream(_ fd: Int32, _ offset: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.append-via-stream") @_extern(c)
func appendViaStream(_ fd: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.advise") @_extern(c)
func advise(_ fd: Int32, _ offset: UInt64, _ length: UInt64, _ advice: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.sync-data") @_extern(c)
func syncData(_ fd: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.sync") @_extern(c)
func sync(_ fd: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.get-flags") @_extern(c)
func getFlags(_ fd: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.get-type") @_extern(c)
func getType(_ fd: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.set-size") @_extern(c)
func setSize(_ fd: Int32, _ size: UInt64, _ ret: UnsafeMutableRawPointer)
/// set-times(new-timestamp, new-timestamp); each flattens to (case, seconds, nanoseconds).
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.set-times") @_extern(c)
func setTimes(_ fd: Int32, _ accessCase: Int32, _ accessSeconds: UInt64, _ accessNanos: Int32,
              _ modCase: Int32, _ modSeconds: UInt64, _ modNanos: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.set-times-at") @_extern(c)
func setTimesAt(_ fd: Int32, _ pathFlags: Int32, _ path: UnsafeRawPointer?, _ pathLen: Int,
                _ accessCase: Int32, _ accessSeconds: UInt64, _ accessNanos: Int32,
                _ modCase: Int32, _ modSeconds: UInt64, _ modNanos: Int32, _ ret: UnsafeMutableRawPointer)
/// read(length, offset) -> result<tuple<list<u8>, bool>, error-code>: ptr @4, len @8, eof @12.
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.read") @_extern(c)
func read(_ fd: Int32, _ length: UInt64, _ offset: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.write") @_extern(c)
func write(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ len: Int, _ offset: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.read-directory") @_extern(c)
func readDirectory(_ fd: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.create-directory-at") @_extern(c)
func createDirectoryAt(_ fd: Int32, _ path: UnsafeRawPointer?, _ len: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.stat") @_extern(c)
func stat(_ fd: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.stat-at") @_extern(c)
func statAt(_ fd: Int32, _ pathFlags: Int32, _ path: UnsafeRawPointer?, _ len: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.link-at") @_extern(c)
func linkAt(_ fd: Int32, _ oldFlags: Int32, _ old: UnsafeRawPointer?, _ oldLen: Int,
            _ newFd: Int32, _ new: UnsafeRawPointer?, _ newLen: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.symlink-at") @_extern(c)
func symlinkAt(_ fd: Int32, _ old: UnsafeRawPointer?, _ oldLen: Int, _ new: UnsafeRawPointer?, _ newLen: Int,
               _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.readlink-at") @_extern(c)
func readlinkAt(_ fd: Int32, _ path: UnsafeRawPointer?, _ len: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.open-at") @_extern(c)
func openAt(_ fd: Int32, _ pathFlags: Int32, _ path: UnsafeRawPointer?, _ len: Int,
            _ openFlags: Int32, _ flags: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.remove-directory-at") @_extern(c)
func removeDirectoryAt(_ fd: Int32, _ path: UnsafeRawPointer?, _ len: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.rename-at") @_extern(c)
func renameAt(_ fd: Int32, _ old: UnsafeRawPointer?, _ oldLen: Int, _ newFd: Int32,
              _ new: UnsafeRawPointer?, _ newLen: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.unlink-file-at") @_extern(c)
func unlinkFileAt(_ fd: Int32, _ path: UnsafeRawPointer?, _ len: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.is-same-object") @_extern(c)
func isSameObject(_ fd: Int32, _ other: Int32) -> Int32
/// metadata-hash() -> result<metadata-hash-value { lower @8, upper @16 }, error-code>.
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.metadata-hash") @_extern(c)
func metadataHash(_ fd: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.metadata-hash-at") @_extern(c)
func metadataHashAt(_ fd: Int32, _ pathFlags: Int32, _ path: UnsafeRawPointer?, _ len: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[resource-drop]descriptor") @_extern(c)
func dropDescriptor(_ fd: Int32)
/// read-directory-entry() -> result<option<directory-entry>, error-code>:
/// option tag @4, type @8, name (ptr @12, len @16).
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]directory-entry-stream.read-directory-entry") @_extern(c)
func readDirectoryEntry(_ stream: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[resource-drop]directory-entry-stream") @_extern(c)
func dropDirectoryEntryStream(_ stream: Int32)
/// filesystem-error-code(borrow<error>) -> option<error-code>: tag @0, code @1.
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "filesystem-error-code") @_extern(c)
func filesystemErrorCode(_ error: Int32, _ ret: UnsafeMutableRawPointer)
