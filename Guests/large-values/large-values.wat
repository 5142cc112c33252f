;; The core module of large-values.wasm (see wit/world.wit). Hand-written so that producing a
;; result of n bytes costs one memory.fill, whatever n: the time measured is the host's.
(module
  (memory (export "memory") 1)
  ;; The canonical ABI's (ptr, len) result area lives at 8; values start at 1024.
  (global $bump (mut i32) (i32.const 1024))

  ;; Grows memory (if needed) so that [0, end) exists; traps when it cannot.
  (func $ensure (param $end i32)
    (local $pages i32)
    (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable)))))

  ;; n bytes of 'a' at 1024, described at 8.
  (func $fill (param $n i32) (result i32)
    (call $ensure (i32.add (i32.const 1024) (local.get $n)))
    (memory.fill (i32.const 1024) (i32.const 97) (local.get $n))
    (i32.store (i32.const 8) (i32.const 1024))
    (i32.store (i32.const 12) (local.get $n))
    (i32.const 8))

  (func (export "big-string") (param $n i32) (result i32) (call $fill (local.get $n)))
  (func (export "big-bytes") (param $n i32) (result i32) (call $fill (local.get $n)))
  (func (export "string-length") (param $ptr i32) (param $len i32) (result i32) (local.get $len))

  ;; A bump allocator that grows memory: parameters of any size can be lowered.
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (call $ensure (i32.add (local.get $p) (local.get 3)))
    (global.set $bump (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
)
