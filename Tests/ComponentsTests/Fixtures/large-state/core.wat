;; Core module behind the `large-state` fixture: a 1.5 MiB memory (large enough to be reset through
;; a copy-on-write mapping rather than a copy) with data segments in its first, middle and last
;; pages, and exports that write anywhere in it, fill all of it, grow it, or write and trap.
(module
  (memory (export "memory") 24)
  (data (i32.const 2000) "\07\00\00\00")
  (data (i32.const 786432) "\0b\00\00\00")
  (data (i32.const 1572860) "\0d\00\00\00")

  (func (export "poke") (param $address i32) (param $value i32) (result i32)
    (local $old i32)
    (local.set $old (i32.load (local.get $address)))
    (i32.store (local.get $address) (local.get $value))
    (local.get $old))

  ;; Sum of the words at 0, stride, 2 × stride, … below memory.size, plus the three data words.
  (func (export "checksum") (param $stride i32) (result i64)
    (local $address i32)
    (local $sum i64)
    (local $end i32)
    (local.set $end (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))
    (local.set $sum (i64.add (i64.add (i64.load32_u (i32.const 2000)) (i64.load32_u (i32.const 786432)))
                             (i64.load32_u (i32.const 1572860))))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (local.get $address) (local.get $end)))
        (local.set $sum (i64.add (local.get $sum) (i64.load32_u (local.get $address))))
        (local.set $address (i32.add (local.get $address) (local.get $stride)))
        (br $next)))
    (local.get $sum))

  (func (export "fill") (param $value i32)
    (memory.fill (i32.const 0) (local.get $value) (i32.mul (memory.size) (i32.const 65536))))

  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages)))

  (func (export "size") (result i32)
    (memory.size))

  (func (export "poke-then-trap") (param $address i32) (param $value i32)
    (i32.store (local.get $address) (local.get $value))
    (unreachable))
)
