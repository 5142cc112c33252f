#!/usr/bin/env python3
"""Runs a component on wasmtime (PyPI `wasmtime`, component API): the oracle the Swift
differential tests compare EnclaveOS's component layer against.

Usage:
  wasmtime_oracle.py COMPONENT EXPORT 'ARGS_JSON'   one call; prints {"ok": "[results]"} or {"trap": ...}
  wasmtime_oracle.py --describe COMPONENT           exports (signature as canonical text) and imports
  wasmtime_oracle.py --batch < request.json         {"component", "fuel", "calls": [{"export","args"}]}
                                                    → {"results": [...]} (one fresh instance per call);
                                                    with "report_fuel": true each ok result also has
                                                    "fuel": the units consumed, as a decimal string;
                                                    with "session": true every call runs in ONE
                                                    instance, in order (state carries over; after a
                                                    trap the instance is unusable)

The JSON value encoding shared with the Swift side (DifferentialTests/Support/ValueJSON.swift),
always read against the WIT type:
  bool → true/false; integers → numbers; f32/f64 → "0x…" bit pattern (hex, lowercase), and
  "nan" for every NaN on output (NaN payloads are not specified across engines);
  char, string → strings; list, tuple → arrays; record → object in field order;
  variant, option, result → {"case": payload or null} (option: "none"/"some", result: "ok"/"err");
  enum → case name; flags → array of the set flag names in declaration order.
Types: "u8", …, {"list": T}, {"record": [[name, T]]}, {"tuple": [T]}, {"variant": [[name, T|null]]},
{"enum": [names]}, {"option": T}, {"result": [T|null, T|null]}, {"flags": [names]}.

Every imported function is implemented by the same deterministic transform as in Swift
(HostTransform.swift): one parameter whose type is the result type → transform(value); several
parameters and a tuple result of their types → the tuple of transformed values; no result → nothing.
"""
import json
import struct
import sys

import wasmtime
import wasmtime.component as wc
from wasmtime.component import _types as wt

# wasmtime-py passes variant-like values untagged when it can guess the case from the Python type;
# bool is an int in Python, so that guess can pick the wrong case. Always tag: Variant(tag, payload).
wt.VariantLikeType._tagged = lambda self: True


# ---- types ----

def describe_type(t):
    simple = {wc.Bool: "bool", wc.U8: "u8", wc.S8: "s8", wc.U16: "u16", wc.S16: "s16", wc.U32: "u32",
              wc.S32: "s32", wc.U64: "u64", wc.S64: "s64", wc.F32: "f32", wc.F64: "f64", wc.Char: "char",
              wc.String: "string"}
    for cls, name in simple.items():
        if isinstance(t, cls):
            return name
    if isinstance(t, wc.ListType):
        return {"list": describe_type(t.element)}
    if isinstance(t, wc.RecordType):
        return {"record": [[n, describe_type(f)] for n, f in t.fields]}
    if isinstance(t, wc.TupleType):
        return {"tuple": [describe_type(e) for e in t.elements]}
    if isinstance(t, wc.VariantType):
        return {"variant": [[n, None if p is None else describe_type(p)] for n, p in t.cases]}
    if isinstance(t, wc.EnumType):
        return {"enum": list(t.names)}
    if isinstance(t, wc.OptionType):
        return {"option": describe_type(t.payload)}
    if isinstance(t, wc.ResultType):
        return {"result": [None if t.ok is None else describe_type(t.ok), None if t.err is None else describe_type(t.err)]}
    if isinstance(t, wc.FlagsType):
        return {"flags": list(t.names)}
    if isinstance(t, wc.OwnType):
        return {"own": "resource"}
    if isinstance(t, wc.BorrowType):
        return {"borrow": "resource"}
    raise TypeError("unsupported type %r" % t)


def describe_func(f):
    return {"params": [[n, describe_type(t)] for n, t in f.params],
            "result": None if f.result is None else describe_type(f.result)}


def functions_of(externs, engine):
    """{name: FuncType} for root functions and `instance/function` for functions of instances."""
    out = {}
    for name, ext in externs.items():
        item = ext.ty
        if isinstance(item, wc.FuncType):
            out[name] = item
        elif isinstance(item, wc.ComponentInstanceType):
            for inner, iext in item.exports(engine).items():
                if isinstance(iext.ty, wc.FuncType):
                    out[name + "/" + inner] = iext.ty
    return out


# ---- values ----

def float_bits(x, is32):
    if x != x:
        return "nan"
    return "0x%08x" % struct.unpack("<I", struct.pack("<f", x))[0] if is32 else \
        "0x%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def from_bits(s, is32):
    bits = int(s, 16)
    return struct.unpack("<f", struct.pack("<I", bits))[0] if is32 else struct.unpack("<d", struct.pack("<Q", bits))[0]


def variant_cases(t):
    if isinstance(t, wc.OptionType):
        return [("none", None), ("some", t.payload)]
    if isinstance(t, wc.ResultType):
        return [("ok", t.ok), ("err", t.err)]
    return list(t.cases)


def to_json(v, t):
    if isinstance(t, (wc.F32, wc.F64)):
        return float_bits(v, isinstance(t, wc.F32))
    if isinstance(t, wc.ListType):
        return [to_json(e, t.element) for e in v]  # list<u8> arrives as bytes
    if isinstance(t, wc.RecordType):
        return {n: to_json(getattr(v, n), f) for n, f in t.fields}
    if isinstance(t, wc.TupleType):
        return [to_json(e, et) for e, et in zip(v, t.elements)]
    if isinstance(t, (wc.VariantType, wc.OptionType, wc.ResultType)):
        payload_type = dict(variant_cases(t))[v.tag]
        return {v.tag: None if payload_type is None else to_json(v.payload, payload_type)}
    if isinstance(t, wc.FlagsType):
        return [n for n in t.names if n in v]
    return v  # bool, integers, char, string, enum (a case name)


def from_json(j, t):
    if isinstance(t, (wc.F32, wc.F64)):
        return from_bits(j, isinstance(t, wc.F32))
    if isinstance(t, wc.ListType):
        if isinstance(t.element, wc.U8):
            return bytes(j)
        return [from_json(e, t.element) for e in j]
    if isinstance(t, wc.RecordType):
        r = wc.Record()
        for n, f in t.fields:
            setattr(r, n, from_json(j[n], f))
        return r
    if isinstance(t, wc.TupleType):
        return tuple(from_json(e, et) for e, et in zip(j, t.elements))
    if isinstance(t, (wc.VariantType, wc.OptionType, wc.ResultType)):
        (tag, payload), = j.items()
        payload_type = dict(variant_cases(t))[tag]
        return wc.Variant(tag, None if payload_type is None else from_json(payload, payload_type))
    if isinstance(t, wc.FlagsType):
        return set(j)
    return j


# ---- the host transform (mirrors HostTransform.swift) ----

INT_BITS = {wc.U8: (8, False), wc.S8: (8, True), wc.U16: (16, False), wc.S16: (16, True),
            wc.U32: (32, False), wc.S32: (32, True), wc.U64: (64, False), wc.S64: (64, True)}


def transform(v, t):
    """bool → not, integers → +1 wrapping, floats → negated, char → next scalar, string → scalars
    reversed, list → reversed and each transformed, enum → next case, flags → complement;
    records, tuples and variant payloads transform their parts."""
    if isinstance(t, wc.Bool):
        return not v
    for cls, (bits, signed) in INT_BITS.items():
        if isinstance(t, cls):
            w = (v + 1) % (1 << bits)
            return w - (1 << bits) if signed and w >= 1 << (bits - 1) else w
    if isinstance(t, (wc.F32, wc.F64)):
        return -v
    if isinstance(t, wc.Char):
        c = ord(v) + 1
        return chr(0xE000 if c == 0xD800 else 0 if c > 0x10FFFF else c)
    if isinstance(t, wc.String):
        return v[::-1]
    if isinstance(t, wc.ListType):
        out = [transform(e, t.element) for e in reversed(list(v))]
        return bytes(out) if isinstance(t.element, wc.U8) else out
    if isinstance(t, wc.RecordType):
        r = wc.Record()
        for n, f in t.fields:
            setattr(r, n, transform(getattr(v, n), f))
        return r
    if isinstance(t, wc.TupleType):
        return tuple(transform(e, et) for e, et in zip(v, t.elements))
    if isinstance(t, (wc.VariantType, wc.OptionType, wc.ResultType)):
        payload_type = dict(variant_cases(t))[v.tag]
        return wc.Variant(v.tag, None if payload_type is None else transform(v.payload, payload_type))
    if isinstance(t, wc.EnumType):
        names = list(t.names)
        return names[(names.index(v) + 1) % len(names)]
    if isinstance(t, wc.FlagsType):
        return set(t.names) - v
    raise TypeError("no transform for %r" % t)


def host_function(ftype, name):
    params = [t for _, t in ftype.params]
    result = ftype.result

    def call(_store, *args):
        if result is None:
            return None
        if len(params) == 1 and params[0] == result:
            return transform(args[0], result)
        if isinstance(result, wc.TupleType) and result.elements == params:
            return tuple(transform(a, t) for a, t in zip(args, params))
        raise RuntimeError("host function %s: no transform for this signature" % name)
    return call


# ---- running ----

def canonical(value):
    """The exact text the Swift side produces for the same value (results and export signatures
    are compared as text, so Swift never has to parse 64-bit integers or floats)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


class Oracle:
    # Set by a --batch request with "report_fuel": true: each ok result also carries "fuel",
    # the units consumed by instantiation plus the call (FuelParityTests).
    report_fuel = False

    def __init__(self, path):
        config = wasmtime.Config()
        config.consume_fuel = True
        self.engine = wasmtime.Engine(config)
        self.component = wc.Component.from_file(self.engine, path)
        ctype = self.component.type
        self.exports = functions_of(ctype.exports(self.engine), self.engine)
        self.imports = functions_of(ctype.imports(self.engine), self.engine)
        self.linker = wc.Linker(self.engine)
        # Third-party components (componentize-py, wasi-libc) import WASI: wasmtime's own WASI
        # serves those; only the other imports get the deterministic transform.
        self.wasi = any(name.startswith("wasi:") for name in self.imports)
        if self.wasi:
            self.linker.add_wasip2()
        by_instance = {}
        for name, ftype in self.imports.items():
            if self.wasi and name.startswith("wasi:"):
                continue
            inst, _, fn = name.rpartition("/")
            by_instance.setdefault(inst, []).append((fn, ftype, name))
        with self.linker.root() as root:
            for inst, funcs in by_instance.items():
                if inst == "":
                    for fn, ftype, full in funcs:
                        root.add_func(fn, host_function(ftype, full))
                    continue
                with root.add_instance(inst) as target:
                    for fn, ftype, full in funcs:
                        target.add_func(fn, host_function(ftype, full))
        # Instances that only export types (e.g. a `types` interface) still need to be present.
        self.linker.define_unknown_imports_as_traps(self.component)

    def describe(self):
        return {"exports": {n: canonical(describe_func(f)) for n, f in sorted(self.exports.items())},
                "imports": {n: describe_func(f) for n, f in sorted(self.imports.items())}}

    def call(self, export, args, fuel, session=None):
        if session is None:
            store = wasmtime.Store(self.engine)
            store.set_fuel(fuel)
            if self.wasi:
                store.set_wasi(wasmtime.WasiConfig())
        try:
            if session is None:
                instance = self.linker.instantiate(store, self.component)
            else:
                store, instance = session
            func = self.find(instance, store, export)
            ftype = self.exports[export]
            values = [from_json(a, t) for a, (_, t) in zip(args, ftype.params)]
            result = func(store, *values)
            if session is not None:
                func.post_return(store)
            out = {"ok": canonical([] if ftype.result is None else [to_json(result, ftype.result)])}
            if self.report_fuel:
                # A string, like every other field: the Swift side reads results as [String: String].
                out["fuel"] = str(fuel - store.get_fuel())
            return out
        except Exception as e:  # noqa: BLE001 - traps, host-function errors: all end the call
            return {"trap": str(e).splitlines()[0] if str(e) else type(e).__name__}

    def find(self, instance, store, export):
        if "/" in export and export not in self.exports_root():
            inst, _, fn = export.rpartition("/")
            idx = instance.get_export_index(store, inst)
            return instance.get_func(store, instance.get_export_index(store, fn, idx))
        return instance.get_func(store, export)

    def exports_root(self):
        return {n for n in self.exports if "/" not in n}


def main(argv):
    if len(argv) >= 2 and argv[1] == "--batch":
        request = json.load(sys.stdin)
        oracle = Oracle(request["component"])
        oracle.report_fuel = bool(request.get("report_fuel"))
        fuel = request.get("fuel", 10_000_000)
        session = None
        if request.get("session"):
            store = wasmtime.Store(oracle.engine)
            store.set_fuel(fuel)
            if oracle.wasi:
                store.set_wasi(wasmtime.WasiConfig())
            session = (store, oracle.linker.instantiate(store, oracle.component))
        out = {"results": [oracle.call(c["export"], c["args"], fuel, session) for c in request["calls"]]}
    elif len(argv) == 3 and argv[1] == "--describe":
        out = Oracle(argv[2]).describe()
    elif len(argv) == 4:
        out = Oracle(argv[1]).call(argv[2], json.loads(argv[3]), 10_000_000)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(out, sys.stdout, ensure_ascii=True, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
