;; Core module of the wasi-conformance guest (see wit/world.wit). Memory map:
;;   64..127  return areas of imports     128..135  (ptr, len) of a string result
;;   160..167 "error:NN"                  4096..    bump heap (cabi_realloc)
(module
  (import "wasi:random/random@0.2.0" "get-random-bytes" (func $random_bytes (param i64 i32)))
  (import "wasi:random/random@0.2.0" "get-random-u64" (func $random_u64 (result i64)))
  (import "wasi:clocks/wall-clock@0.2.0" "now" (func $wall_now (param i32)))
  (import "wasi:clocks/monotonic-clock@0.2.0" "now" (func $mono_now (result i64)))
  (import "wasi:filesystem/preopens@0.2.0" "get-directories" (func $get_directories (param i32)))
  (import "wasi:filesystem/types@0.2.0" "[method]descriptor.open-at"
    (func $open_at (param i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.0" "[method]descriptor.write" (func $write (param i32 i32 i32 i64 i32)))
  (import "wasi:filesystem/types@0.2.0" "[method]descriptor.read" (func $read (param i32 i64 i64 i32)))
  (import "wasi:filesystem/types@0.2.0" "[resource-drop]descriptor" (func $drop_descriptor (param i32)))
  (import "wasi:cli/stdout@0.2.0" "get-stdout" (func $get_stdout (result i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-write-and-flush"
    (func $write_and_flush (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.0" "[resource-drop]output-stream" (func $drop_output (param i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 160) "error:")
  (data (i32.const 176) "\n")

  ;; Bump allocator: never frees (each call runs in a fresh instance).
  (func $realloc (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (local.get $have)) (i32.const 16)) (i32.const 1)))
                    (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (if (local.get $old) (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))

  (func (export "random-len") (param $n i64) (result i32)
    (call $random_bytes (local.get $n) (i32.const 64))
    (i32.load offset=4 (i32.const 64)))

  (func (export "random-differs") (result i32)
    (i64.ne (call $random_u64) (call $random_u64)))

  (func (export "wall-seconds") (result i64)
    (call $wall_now (i32.const 64))
    (i64.load (i32.const 64)))

  (func (export "wall-nanos") (result i32)
    (call $wall_now (i32.const 64))
    (i32.load offset=8 (i32.const 64)))

  (func (export "monotonic-now") (result i64) (call $mono_now))

  (func (export "monotonic-steady") (param $n i32) (result i32)
    (local $last i64) (local $now i64)
    (local.set $last (call $mono_now))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $now (call $mono_now))
        (if (i64.lt_u (local.get $now) (local.get $last)) (then (return (i32.const 0))))
        (local.set $last (local.get $now))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; The first preopen's descriptor (an owned handle the caller drops).
  (func $root (result i32)
    (call $get_directories (i32.const 64))
    (if (i32.eqz (i32.load offset=4 (i32.const 64))) (then unreachable))
    (i32.load (i32.load (i32.const 64))))

  ;; open-at(root, no path flags, path, open-flags, descriptor-flags); result area at 96.
  (func $open (param $path i32) (param $len i32) (param $oflags i32) (param $flags i32)
    (local $root i32)
    (local.set $root (call $root))
    (call $open_at (local.get $root) (i32.const 0) (local.get $path) (local.get $len)
                   (local.get $oflags) (local.get $flags) (i32.const 96))
    (call $drop_descriptor (local.get $root)))

  (func (export "write-file") (param $p i32) (param $pl i32) (param $d i32) (param $dl i32) (result i32)
    (local $fd i32)
    ;; open-flags create(1)|truncate(8); descriptor-flags read(1)|write(2)
    (call $open (local.get $p) (local.get $pl) (i32.const 9) (i32.const 3))
    (if (i32.load8_u (i32.const 96))
      (then (return (i32.add (i32.load8_u offset=4 (i32.const 96)) (i32.const 1)))))
    (local.set $fd (i32.load offset=4 (i32.const 96)))
    (call $write (local.get $fd) (local.get $d) (local.get $dl) (i64.const 0) (i32.const 96))
    (call $drop_descriptor (local.get $fd))
    (if (i32.load8_u (i32.const 96))
      (then (return (i32.add (i32.load8_u offset=8 (i32.const 96)) (i32.const 1)))))
    (i32.const 0))

  ;; "error:NN" at 160 as the string result.
  (func $error_string (param $code i32) (result i32)
    (i32.store8 (i32.const 166) (i32.add (i32.const 48) (i32.div_u (local.get $code) (i32.const 10))))
    (i32.store8 (i32.const 167) (i32.add (i32.const 48) (i32.rem_u (local.get $code) (i32.const 10))))
    (i32.store (i32.const 128) (i32.const 160))
    (i32.store (i32.const 132) (i32.const 8))
    (i32.const 128))

  (func (export "read-file") (param $p i32) (param $pl i32) (result i32)
    (local $fd i32)
    (call $open (local.get $p) (local.get $pl) (i32.const 0) (i32.const 1))
    (if (i32.load8_u (i32.const 96))
      (then (return (call $error_string (i32.load8_u offset=4 (i32.const 96))))))
    (local.set $fd (i32.load offset=4 (i32.const 96)))
    (call $read (local.get $fd) (i64.const 1048576) (i64.const 0) (i32.const 96))
    (call $drop_descriptor (local.get $fd))
    (if (i32.load8_u (i32.const 96))
      (then (return (call $error_string (i32.load8_u offset=4 (i32.const 96))))))
    (i32.store (i32.const 128) (i32.load offset=4 (i32.const 96)))
    (i32.store (i32.const 132) (i32.load offset=8 (i32.const 96)))
    (i32.const 128))

  (func (export "print") (param $p i32) (param $pl i32)
    (local $out i32)
    (local.set $out (call $get_stdout))
    (call $write_and_flush (local.get $out) (local.get $p) (local.get $pl) (i32.const 96))
    (call $write_and_flush (local.get $out) (i32.const 176) (i32.const 1) (i32.const 96))
    (call $drop_output (local.get $out)))
)
