;; Core module behind the `echo-utf16` / `echo-latin1` fixtures: returns its string argument
;; unchanged, whatever the string encoding, so a round trip tests our lifting and lowering.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    ;; A real realloc: hosts shrink over-allocated transcoding buffers and expect the bytes kept.
    (if (local.get 1) (then (memory.copy (local.get $p) (local.get 0)
      (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))))
    (local.get $p))
  (func (export "echo") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (local.get 0))
    (i32.store (i32.const 4) (local.get 1))
    (i32.const 0))
  (func (export "raw-length") (param i32 i32) (result i32) (local.get 1))
  (func (export "first-bytes") (param i32 i32) (result i32) (i32.load16_u (local.get 0)))
)
