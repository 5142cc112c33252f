// Canonical-ABI glue for wasi:io/streams@0.2.0 (see ImportsBasics.swift for the conventions).
//
// Result layouts (return area):
// - result<list<u8>, stream-error>: tag u8 @0; ok (ptr @4, len @8); err: case u8 @4, error @8.
// - result<u64, stream-error>: tag @0; ok u64 @8; err: case @8, error @12.
// - result<_, stream-error>: tag @0; err: case @4, error @8.
// stream-error cases: 0 last-operation-failed(own<error>), 1 closed.

@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]input-stream.read") @_extern(c)
func inputRead(_ stream: Int32, _ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]input-stream.blocking-read") @_extern(c)
func inputBlockingRead(_ stream: Int32, _ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]input-stream.skip") @_extern(c)
func inputSkip(_ stream: Int32, _ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]input-stream.blocking-skip") @_extern(c)
func inputBlockingSkip(_ stream: Int32, _ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]input-stream.subscribe") @_extern(c)
func inputSubscribe(_ stream: Int32) -> Int32
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[resource-drop]input-stream") @_extern(c)
func dropInputStream(_ stream: Int32)

@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.check-write") @_extern(c)
func outputCheckWrite(_ stream: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.write") @_extern(c)
func outputWrite(_ stream: Int32, _ bytes: UnsafeRawPointer?, _ len: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.blocking-write-and-flush") @_extern(c)
func outputBlockingWriteAndFlush(_ stream: Int32, _ bytes: UnsafeRawPointer?, _ len: Int, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.flush") @_extern(c)
func outputFlush(_ stream: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.blocking-flush") @_extern(c)
func outputBlockingFlush(_ stream: Int32, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.subscribe") @_extern(c)
func outputSubscribe(_ stream: Int32) -> Int32
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.write-zeroes") @_extern(c)
func outputWriteZeroes(_ stream: Int32, _ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.blocking-write-zeroes-and-flush") @_extern(c)
func outputBlockingWriteZeroesAndFlush(_ stream: Int32, _ len: UInt64, _ ret: UnsafeMutableRawPointer)
/// splice(src: borrow<input-stream>, len) -> result<u64, stream-error>.
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.splice") @_extern(c)
func outputSplice(_ stream: Int32, _ source: Int32, _ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[method]output-stream.blocking-splice") @_extern(c)
func outputBlockingSplice(_ stream: Int32, _ source: Int32, _ len: UInt64, _ ret: UnsafeMutableRawPointer)
@_extern(wasm, module: "wasi:io/streams@0.2.0", name: "[resource-drop]output-stream") @_extern(c)
func dropOutputStream(_ stream: Int32)
