#!/usr/bin/env python3
"""Writes the WAT of a core module with COUNT generated functions (deterministic: the output
depends only on COUNT), for the ~100 KB and ~1 MB components of enclave-bench's wasm_load item.

Usage: generate_large.py COUNT > large.wat

Each function mixes arithmetic, an if/else and a loop, with constants derived from its index,
so that the module is code a validator and translator must really process (no data padding).
`run(index, x)` calls function `index % COUNT` through a table: every function is reachable.
"""
import sys


def function(i):
    c1, c2, c3 = (i * 7919) % 65521, (i * 104729) % 251 + 3, (i * 31337) % 1000003
    return f"""  (func $f{i} (type $t) (param $x i32) (result i32) (local $a i32) (local $b i32)
    (local.set $a (i32.add (local.get $x) (i32.const {c1})))
    (local.set $b (i32.mul (local.get $a) (i32.const {c2})))
    (if (i32.gt_u (local.get $b) (i32.const {c3}))
      (then (local.set $a (i32.xor (local.get $a) (i32.shl (local.get $b) (i32.const {i % 31 + 1})))))
      (else (local.set $a (i32.sub (local.get $a) (i32.rotl (local.get $b) (i32.const {i % 29 + 2}))))))
    (block $out
      (loop $again
        (br_if $out (i32.eqz (local.get $b)))
        (local.set $a (i32.add (local.get $a) (i32.and (local.get $b) (i32.const {i % 251 + 1}))))
        (local.set $b (i32.shr_u (local.get $b) (i32.const 4)))
        (br $again)))
    (i32.add (local.get $a) (i32.const {i})))
"""


def main():
    count = int(sys.argv[1])
    out = ["(module", "  (type $t (func (param i32) (result i32)))", "  (memory (export \"memory\") 1)",
           f"  (table {count} funcref)"]
    out += [function(i) for i in range(count)]
    out.append("  (elem (i32.const 0) func " + " ".join(f"$f{i}" for i in range(count)) + ")")
    out.append(f"""  (func (export "run") (param $index i32) (param $x i32) (result i32)
    (call_indirect (type $t) (local.get $x) (i32.rem_u (local.get $index) (i32.const {count}))))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
)""")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
