// Canonical-ABI glue for the small WASI interfaces: random, clocks, io/error, io/poll and cli.
//
// Each import is `@_extern(wasm, module:, name:)` (the component import) plus `@_extern(c)` (so
// the core signature is the flattened canonical one). Flattening: u32/handles/flags/enums/bool
// -> i32; u64 -> i64; string/list -> (ptr, len); results needing more than one core value are
// written by the host to a return area whose address is the last parameter.

// MARK: wasi:random/{random,insecure,insecure-seed}@0.2.0

/// get-random-bytes(len) -> list<u8>: (ptr @0, len @4).
@_extern(wasm, module: "wasi:random/random@0.2.0", name: "get-random-bytes") @_extern(c)
func randomBytes(_ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:random/random@0.2.0", name: "get-random-u64") @_extern(c)
func randomU64() -> UInt64
@_extern(wasm, module: "wasi:random/insecure@0.2.0", name: "get-insecure-random-bytes") @_extern(c)
func insecureRandomBytes(_ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:random/insecure@0.2.0", name: "get-insecure-random-u64") @_extern(c)
func insecureRandomU64() -> UInt64
/// insecure-seed() -> tuple<u64, u64>: @0, @8.
@_extern(wasm, module: "wasi:random/insecure-seed@0.2.0", name: "insecure-seed") @_extern(c)
func insecureSeed(_ ret: UnsafeMutableRawPointer)

// MARK: wasi:clocks/{wall-clock,monotonic-clock}@0.2.0

/// now() -> datetime { seconds: u64 @0, nanoseconds: u32 @8 }.
@_extern(wasm, module: "wasi:clocks/wall-clock@0.2.0", name: "now") @_extern(c)
func wallNow(_ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:clocks/wall-clock@0.2.0", name: "resolution") @_extern(c)
func wallResolution(_ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:clocks/monotonic-clock@0.2.0", name: "now") @_extern(c)
func monotonicNow() -> UInt64
@_extern(wasm, module: "wasi:clocks/monotonic-clock@0.2.0", name: "resolution") @_extern(c)
func monotonicResolution() -> UInt64
/// subscribe-instant(when) -> own<pollable>.
@_extern(wasm, module: "wasi:clocks/monotonic-clock@0.2.0", name: "subscribe-instant") @_extern(c)
func subscribeInstant(_ when: UInt64) -> Int32
@_extern(wasm, module: "wasi:clocks/monotonic-clock@0.2.0", name: "subscribe-duration") @_extern(c)
func subscribeDuration(_ nanoseconds: UInt64) -> Int32

// MARK: wasi:io/error@0.2.0

/// error.to-debug-string() -> string: (ptr @0, len @4).
@_extern(wasm, module: "wasi:io/error@0.2.0", name: "[method]error.to-debug-string") @_extern(c)
func errorToDebugString(_ error: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/error@0.2.0", name: "[resource-drop]error") @_extern(c)
func dropError(_ error: Int32)

// MARK: wasi:io/poll@0.2.0

@_extern(wasm, module: "wasi:io/poll@0.2.0", name: "[method]pollable.ready") @_extern(c)
func pollableReady(_ pollable: Int32) -> Int32
@_extern(wasm, module: "wasi:io/poll@0.2.0", name: "[method]pollable.block") @_extern(c)
func pollableBlock(_ pollable: Int32)
/// poll(list<borrow<pollable>>) -> list<u32>: (ptr @0, len @4).
@_extern(wasm, module: "wasi:io/poll@0.2.0", name: "poll") @_extern(c)
func poll(_ list: UnsafeRawPointer?, _ count: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/poll@0.2.0", name: "[resource-drop]pollable") @_extern(c)
func dropPollable(_ pollable: Int32)

// MARK: wasi:cli/{environment,exit,stdin,stdout,stderr}@0.2.0

/// get-environment() -> list<tuple<string, string>>: (ptr @0, len @4), 16-byte elements.
@_extern(wasm, module: "wasi:cli/environment@0.2.0", name: "get-environment") @_extern(c)
func getEnvironment(_ ret: UnsafeMutableRawPointer)
/// get-arguments() -> list<string>: (ptr @0, len @4), 8-byte elements.
@_extern(wasm, module: "wasi:cli/environment@0.2.0", name: "get-arguments") @_extern(c)
func getArguments(_ ret: UnsafeMutableRawPointer)
/// initial-cwd() -> option<string>: tag @0, (ptr @4, len @8).
@_extern(wasm, module: "wasi:cli/environment@0.2.0", name: "initial-cwd") @_extern(c)
func initialCwd(_ ret: UnsafeMutableRawPointer)
/// exit(status: result): 0 = ok, 1 = err.
@_extern(wasm, module: "wasi:cli/exit@0.2.0", name: "exit") @_extern(c)
func exitWith(_ status: Int32)
@_extern(wasm, module: "wasi:cli/stdin@0.2.0", name: "get-stdin") @_extern(c)
func getStdin() -> Int32
@_extern(wasm, module: "wasi:cli/stdout@0.2.0", name: "get-stdout") @_extern(c)
func getStdout() -> Int32
@_extern(wasm, module: "wasi:cli/stderr@0.2.0", name: "get-stderr") @_extern(c)
func getStderr() -> Int32

// MARK: wasi:cli/terminal-{stdin,stdout,stderr}@0.2.0

/// get-terminal-stdin() -> option<own<terminal-input>>: tag @0, handle @4.
@_extern(wasm, module: "wasi:cli/terminal-stdin@0.2.0", name: "get-terminal-stdin") @_extern(c)
func getTerminalStdin(_ ret: UnsafeMutableRawPointer)
/// get-terminal-stdout() -> option<own<terminal-output>>: tag @0, handle @4.
@_extern(wasm, module: "wasi:cli/terminal-stdout@0.2.0", name: "get-terminal-stdout") @_extern(c)
func getTerminalStdout(_ ret: UnsafeMutableRawPointer)
/// get-terminal-stderr() -> option<own<terminal-output>>: tag @0, handle @4.
@_extern(wasm, module: "wasi:cli/terminal-stderr@0.2.0", name: "get-terminal-stderr") @_extern(c)
func getTerminalStderr(_ ret: UnsafeMutableRawPointer)
