;; The core module of bench-guest.wasm (see wit/world.wit). Hand-written so that the operators
;; each export executes are known exactly: enclave-bench compares the fuel both engines charge.
(module
  (memory (export "memory") 1)
  ;; "Hello, World!" and the (ptr, len) result area the canonical ABI reads a string from.
  (data (i32.const 16) "Hello, World!")
  (data (i32.const 8) "\10\00\00\00\0d\00\00\00")

  (func (export "hello") (result i32)
    i32.const 8)

  ;; if/else form: every path runs each operator it is charged for, in both engines.
  (func $fib (export "fib") (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else
        (i64.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  (func (export "loop") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; The canonical ABI needs an allocator only for values it lowers into guest memory; this
  ;; guest takes scalars only, so a trivial bump allocator past the static data is enough.
  (global $bump (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $bump (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
)
