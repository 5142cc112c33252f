#!/usr/bin/env python3
"""Generates the all-types guest: wit/world.wit and core.wat (hand-rolled canonical ABI glue).

Exports, for every type T in types.ECHOES (and `spill`, 17 parameters):
  enclaveos:diff/echo      echo-X: func(x: T) -> T   the guest stores its flat arguments into a
                                                     result area in T's memory layout (so the host's
                                                     flat lowering and memory lifting must agree)
  enclaveos:diff/via-host  echo-X: func(x: T) -> T   the guest passes the value to the imported
                                                     host function of the same name and returns
                                                     whatever the host gave back
  root: root-shape, root-string, root-nested (root-level exports)
Imports: enclaveos:diff/host with the same functions.
Results returned through memory get a post-return that overwrites the result area, so a host
that lifted results after post-return would see garbage.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wit_types import ECHOES, SPILL_PARAMS, wit, named_types, definition, cases, disc_size, flags_size  # noqa: E402
from wit_types import alignment, size, payload_offset, flat  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SPILL_TUPLE = ("tuple", [t for _, t in SPILL_PARAMS])
ROOT = ["shape", "string", "nested"]


def coerce(expr, have, want):
    """Reads a value of core type `want` out of a joined variant slot of type `have`."""
    if have == want:
        return expr
    if have == "i64" and want == "i32":
        return "(i32.wrap_i64 %s)" % expr
    if have == "i64" and want == "f32":
        return "(f32.reinterpret_i32 (i32.wrap_i64 %s))" % expr
    if have == "i64" and want == "f64":
        return "(f64.reinterpret_i64 %s)" % expr
    if have == "i32" and want == "f32":
        return "(f32.reinterpret_i32 %s)" % expr
    raise ValueError((have, want))


STORE = {1: "i32.store8", 2: "i32.store16", 4: "i32.store"}


def store(t, off, vals):
    """WAT that stores the flat values `vals` (an iterator of expressions) of type t at $r+off."""
    k = t[0]
    at = "offset=%d (local.get $r)" % off
    if k in ("bool", "u8", "s8"):
        return ["(i32.store8 %s %s)" % (at, next(vals))]
    if k in ("u16", "s16"):
        return ["(i32.store16 %s %s)" % (at, next(vals))]
    if k in ("u32", "s32", "char"):
        return ["(i32.store %s %s)" % (at, next(vals))]
    if k in ("u64", "s64"):
        return ["(i64.store %s %s)" % (at, next(vals))]
    if k in ("f32", "f64"):
        return ["(%s.store %s %s)" % (k, at, next(vals))]
    if k in ("string", "list"):
        return ["(i32.store %s %s)" % (at, next(vals)),
                "(i32.store offset=%d (local.get $r) %s)" % (off + 4, next(vals))]
    if k == "enum":
        return ["(%s %s %s)" % (STORE[disc_size(len(t[2]))], at, next(vals))]
    if k == "flags":
        n = len(t[2])
        if n <= 32:
            return ["(%s %s %s)" % (STORE[flags_size(n)], at, next(vals))]
        return ["(i32.store offset=%d (local.get $r) %s)" % (off + 4 * i, next(vals)) for i in range(n // 32 + (n % 32 > 0))]
    if k in ("record", "tuple"):
        code, o = [], off
        for f in ([f for _, f in t[2]] if k == "record" else t[1]):
            o = (o + alignment(f) - 1) // alignment(f) * alignment(f)
            code += store(f, o, vals)
            o += size(f)
        return code
    cs = cases(t)
    disc = next(vals)
    slots = flat(t)[1:]
    slot_exprs = [next(vals) for _ in slots]
    code = ["(%s %s %s)" % (STORE[disc_size(len(cs))], at, disc)]
    for index, (_, payload) in enumerate(cs):
        if payload is None:
            continue
        want = flat(payload)
        inner = iter([coerce(slot_exprs[i], slots[i], want[i]) for i in range(len(want))])
        body = " ".join(store(payload, off + payload_offset(t), inner))
        code.append("(if (i32.eq %s (i32.const %d)) (then %s))" % (disc, index, body))
    return code


def signature(core_params, results):
    ps = " ".join("(param %s)" % p for p in core_params)
    rs = " ".join("(result %s)" % r for r in results)
    return (ps + " " + rs).strip()


def functions():
    """(name, param type for the ABI, result type, spilled?)."""
    out = [("echo-" + name, t, t) for name, t in ECHOES]
    out.append(("spill", SPILL_TUPLE, SPILL_TUPLE))
    return out


def core_wat():
    lines = ["(module"]
    for name, t, _ in functions():
        params = flat(t)
        lowered = params if len(params) <= 16 else ["i32"]
        results = flat(t)
        if len(results) == 1:
            lines.append('  (import "enclaveos:diff/host" "%s" (func $host-%s %s))' % (name, name, signature(lowered, results)))
        else:
            lines.append('  (import "enclaveos:diff/host" "%s" (func $host-%s %s))' % (name, name, signature(lowered + ["i32"], [])))
    lines += [
        '  (memory (export "memory") 1)',
        "  (global $heap (mut i32) (i32.const 1024))",
        # A bump allocator: every call runs in a fresh instance, so nothing is ever freed.
        '  (func $realloc (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $new i32) (result i32)',
        "    (local $p i32) (local $end i32)",
        "    (if (i32.eqz (local.get $new)) (then (return (local.get $align))))",
        "    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1))) (i32.sub (i32.const 0) (local.get $align))))",
        "    (local.set $end (i32.add (local.get $p) (local.get $new)))",
        "    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))",
        "      (then (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16))) (i32.const 65535)) (i32.const 16))) (i32.const -1)) (then unreachable))))",
        "    (global.set $heap (local.get $end))",
        "    (if (local.get $old_size) (then (memory.copy (local.get $p) (local.get $old) (select (local.get $old_size) (local.get $new) (i32.lt_u (local.get $old_size) (local.get $new))))))",
        "    (local.get $p))",
    ]
    for name, t, _ in functions():
        params = flat(t)
        n = len(params)
        exports = ['"enclaveos:diff/echo#%s"' % name]
        if name[5:] in ROOT:
            exports.append('"root-%s"' % name[5:])
        # echo: flat → memory (or straight through when one value or already in memory)
        for export in exports:
            if n == 1:
                lines.append("  (func (export %s) %s (local.get 0))" % (export, signature(params, params)))
            elif n > 16:
                lines.append("  (func (export %s) (param i32) (result i32) (local.get 0))" % export)
            else:
                alloc = "(local.set $r (call $realloc (i32.const 0) (i32.const 0) (i32.const %d) (i32.const %d)))" % (alignment(t), size(t))
                body = " ".join(store(t, 0, iter("(local.get %d)" % i for i in range(n))))
                lines.append("  (func (export %s) %s (local $r i32) %s %s (local.get $r))" % (export, signature(params, ["i32"]), alloc, body))
            if n > 1:
                # Post-return: scribble over the result area; the host must have lifted it already.
                lines.append('  (func (export "cabi_post_%s") (param i32) (memory.fill (local.get 0) (i32.const 0xAA) (i32.const %d)))' % (export.strip('"'), size(t)))
        # via-host: hand the value to the host import and return its answer
        lowered = params if n <= 16 else ["i32"]
        args = " ".join("(local.get %d)" % i for i in range(len(lowered)))
        export = '"enclaveos:diff/via-host#%s"' % name
        if n == 1:
            lines.append("  (func (export %s) %s (call $host-%s %s))" % (export, signature(lowered, params), name, args))
        else:
            alloc = "(local.set $r (call $realloc (i32.const 0) (i32.const 0) (i32.const %d) (i32.const %d)))" % (alignment(t), size(t))
            lines.append("  (func (export %s) %s (local $r i32) %s (call $host-%s %s (local.get $r)) (local.get $r))" % (export, signature(lowered, ["i32"]), alloc, name, args))
    lines.append(")")
    return "\n".join(lines) + "\n"


def world_wit():
    defs = []
    for _, t in ECHOES + SPILL_PARAMS:
        named_types(t, defs)
    names = ", ".join(d[1] for d in defs)
    sigs = []
    for name, t in ECHOES:
        sigs.append("  %s: func(x: %s) -> %s;" % (name if name.startswith("echo-") else "echo-" + name, wit(t), wit(t)))
    params = ", ".join("%s: %s" % (p, wit(t)) for p, t in SPILL_PARAMS)
    sigs.append("  spill: func(%s) -> %s;" % (params, wit(SPILL_TUPLE)))
    body = "\n".join(sigs)
    out = ["package enclaveos:diff;", "", "interface types {"] + [definition(d) for d in defs] + ["}", ""]
    for iface in ["host", "echo", "via-host"]:
        out += ["interface %s {" % iface, "  use types.{%s};" % names, body, "}", ""]
    out += ["world all-types {", "  use types.{%s};" % names, "  import host;", "  export echo;", "  export via-host;"]
    for r in ROOT:
        t = dict(ECHOES)[r]
        out.append("  export root-%s: func(x: %s) -> %s;" % (r, wit(t), wit(t)))
    out += ["}", ""]
    return "\n".join(out)


if __name__ == "__main__":
    os.makedirs(os.path.join(HERE, "wit"), exist_ok=True)
    with open(os.path.join(HERE, "wit", "world.wit"), "w") as f:
        f.write(world_wit())
    with open(os.path.join(HERE, "core.wat"), "w") as f:
        f.write(core_wat())
    with open(os.path.join(HERE, "host-functions.txt"), "w") as f:
        f.write("".join(name + "\n" for name, _, _ in functions()))
