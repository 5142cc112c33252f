// Hand-written canonical-ABI glue for the host interfaces this app imports.
//
// Each import is declared twice over: `@_extern(wasm, module:, name:)` names the component
// import, and `@_extern(c)` gives it the C calling convention so the core signature is the
// flattened canonical-ABI one (without it Swift adds its own context parameters and the core
// type no longer matches what `wasm-tools component new` expects).
//
// Flattening rules used below (Component Model canonical ABI): u32/s32/handles/flags/enums
// -> i32; u64 -> i64; string and list -> (ptr, len); option<T> -> (discriminant, T...);
// any result needing more than one core value is written by the host to a *return area*
// whose address is the last parameter. `Int` and pointers are 32-bit on wasm32.

// MARK: wasi:random/random@0.2.0

/// get-random-bytes(len: u64) -> list<u8>; writes (ptr, len) at `ret`.
@_extern(wasm, module: "wasi:random/random@0.2.0", name: "get-random-bytes")
@_extern(c)
func wasiGetRandomBytes(_ len: UInt64, _ ret: UnsafeMutableRawPointer)

// MARK: wasi:clocks/wall-clock@0.2.0

/// now() -> datetime { seconds: u64 @0, nanoseconds: u32 @8 }.
@_extern(wasm, module: "wasi:clocks/wall-clock@0.2.0", name: "now")
@_extern(c)
func wasiWallClockNow(_ ret: UnsafeMutableRawPointer)

// MARK: wasi:filesystem/preopens@0.2.0

/// get-directories() -> list<tuple<own<descriptor>, string>>; elements are 12 bytes:
/// handle @0, path ptr @4, path len @8.
@_extern(wasm, module: "wasi:filesystem/preopens@0.2.0", name: "get-directories")
@_extern(c)
func wasiGetDirectories(_ ret: UnsafeMutableRawPointer)

// MARK: wasi:filesystem/types@0.2.0

/// descriptor.open-at(path-flags, path, open-flags, descriptor-flags)
/// -> result<own<descriptor>, error-code>: tag u8 @0, handle or error-code @4.
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.open-at")
@_extern(c)
func wasiOpenAt(
    _ dir: Int32, _ pathFlags: Int32, _ path: UnsafeRawPointer?, _ pathLen: Int,
    _ openFlags: Int32, _ flags: Int32, _ ret: UnsafeMutableRawPointer)

/// descriptor.write(buffer, offset) -> result<filesize, error-code>: tag @0, u64 or code @8.
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.write")
@_extern(c)
func wasiWrite(
    _ fd: Int32, _ buffer: UnsafeRawPointer?, _ len: Int, _ offset: UInt64,
    _ ret: UnsafeMutableRawPointer)

/// descriptor.read(length, offset) -> result<tuple<list<u8>, bool>, error-code>:
/// tag @0, then list ptr @4, len @8, end-of-file @12 (or error-code @4).
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.read")
@_extern(c)
func wasiRead(_ fd: Int32, _ length: UInt64, _ offset: UInt64, _ ret: UnsafeMutableRawPointer)

/// descriptor.sync-data() -> result<_, error-code>: tag @0, error-code @1.
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[method]descriptor.sync-data")
@_extern(c)
func wasiSyncData(_ fd: Int32, _ ret: UnsafeMutableRawPointer)

/// Drops an owned descriptor handle.
@_extern(wasm, module: "wasi:filesystem/types@0.2.0", name: "[resource-drop]descriptor")
@_extern(c)
func wasiDropDescriptor(_ fd: Int32)

/// open-flags bits (declaration order: create, directory, exclusive, truncate).
let openCreate: Int32 = 1
let openTruncate: Int32 = 8
/// descriptor-flags bits (declaration order: read, write, ...).
let descriptorRead: Int32 = 1
let descriptorWrite: Int32 = 2
/// error-code case index of `no-entry`.
let errorNoEntry: UInt8 = 20

// MARK: privasys:enclave-os/https@0.1.0

/// fetch(method: u32, url: string, headers: list<tuple<string,string>>, body: option<list<u8>>)
/// -> result<tuple<u16, list<tuple<string,string>>, list<u8>>, string>.
/// Return area (24 bytes): tag u8 @0; ok: status u16 @4, headers (ptr @8, len @12),
/// body (ptr @16, len @20); err: message (ptr @4, len @8).
@_extern(wasm, module: "privasys:enclave-os/https@0.1.0", name: "fetch")
@_extern(c)
func enclaveFetch(
    _ method: UInt32, _ url: UnsafeRawPointer?, _ urlLen: Int,
    _ headers: UnsafeRawPointer?, _ headersLen: Int,
    _ hasBody: Int32, _ body: UnsafeRawPointer?, _ bodyLen: Int,
    _ ret: UnsafeMutableRawPointer)

/// Name of a `wasi:filesystem` error-code case, for messages returned to the caller.
func errorCodeName(_ code: UInt8) -> StaticString {
    switch code {
    case 0: return "access"
    case 1: return "would-block"
    case 3: return "bad-descriptor"
    case 4: return "busy"
    case 6: return "quota"
    case 7: return "exist"
    case 8: return "file-too-large"
    case 9: return "illegal-byte-sequence"
    case 12: return "invalid"
    case 13: return "io"
    case 14: return "is-directory"
    case 18: return "name-too-long"
    case 20: return "no-entry"
    case 22: return "insufficient-memory"
    case 23: return "insufficient-space"
    case 24: return "not-directory"
    case 27: return "unsupported"
    case 31: return "not-permitted"
    case 33: return "read-only"
    default: return "other"
    }
}
