;; Core module behind the `imports` fixture: calls host functions through canon lower.
(module
  (import "test:imports/host" "log" (func $log (param i32 i32)))
  (import "test:imports/host" "add-one" (func $add_one (param i32) (result i32)))
  (import "test:imports/host" "shout" (func $shout (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "running")
  (func $realloc (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  ;; run(x) = add-one(add-one(x)), logging first.
  (func (export "run") (param i32) (result i32)
    (call $log (i32.const 16) (i32.const 7))
    (call $add_one (call $add_one (local.get 0))))
  ;; relay(s) = shout(s): the host's string result comes back through a return area at 64.
  (func (export "relay") (param i32 i32) (result i32)
    (call $shout (local.get 0) (local.get 1) (i32.const 64))
    (i32.const 64))
)
