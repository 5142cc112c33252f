#!/usr/bin/env python3
"""Runs a sequence of calls on a WASI component with wasmtime (PyPI `wasmtime`), each call in a
fresh instance over ONE directory preopened as `/` (so files persist from call to call, as in an
EnclaveOS app's sealed filesystem), and prints wasmtime's answers in EnclaveOS's typed JSON, the
shape of a `wasm_call` response: the expected values of the third-party component tests.

Usage: wasmtime_wasi_oracle.py COMPONENT < calls.json
  calls.json: [{"function": NAME, "params": [TYPED, ...]}, ...]   (wasm_call's params)
  prints:     [{"status": "ok", "returns": [TYPED]} | {"status": "trap", "message": TEXT}, ...]

Typed JSON (the server's, see docs/protocol.md): {"type": TAG, "value": V}; list<u8> is "bytes"
with plain numbers; list/tuple hold typed elements; record an object of typed fields; variant
{"case", "value"}; enum a case name; option the typed payload or null; result {"ok"|"err": typed
or null}; flags the names set.
"""
import json
import os
import sys
import tempfile

import wasmtime
import wasmtime.component as wc
from wasmtime.component import _types as wt

wt.VariantLikeType._tagged = lambda self: True  # always Variant(tag, payload), see wasmtime_oracle.py

SCALARS = {wc.Bool: "bool", wc.U8: "u8", wc.S8: "s8", wc.U16: "u16", wc.S16: "s16", wc.U32: "u32",
           wc.S32: "s32", wc.U64: "u64", wc.S64: "s64", wc.F32: "f32", wc.F64: "f64", wc.Char: "char",
           wc.String: "string"}


def scalar_tag(t):
    for cls, tag in SCALARS.items():
        if isinstance(t, cls):
            return tag
    return None


def cases(t):
    if isinstance(t, wc.OptionType):
        return {"none": None, "some": t.payload}
    if isinstance(t, wc.ResultType):
        return {"ok": t.ok, "err": t.err}
    return dict(t.cases)


def to_typed(v, t):
    tag = scalar_tag(t)
    if tag:
        return {"type": tag, "value": v}
    if isinstance(t, wc.ListType):
        if isinstance(t.element, wc.U8):
            return {"type": "bytes", "value": list(v)}
        return {"type": "list", "value": [to_typed(e, t.element) for e in v]}
    if isinstance(t, wc.RecordType):
        return {"type": "record", "value": {n: to_typed(getattr(v, n), f) for n, f in t.fields}}
    if isinstance(t, wc.TupleType):
        return {"type": "tuple", "value": [to_typed(e, et) for e, et in zip(v, t.elements)]}
    if isinstance(t, wc.EnumType):
        return {"type": "enum", "value": v}
    if isinstance(t, wc.FlagsType):
        return {"type": "flags", "value": [n for n in t.names if n in v]}
    payload_type = cases(t)[v.tag]
    payload = None if payload_type is None else to_typed(v.payload, payload_type)
    if isinstance(t, wc.OptionType):
        return {"type": "option", "value": payload}
    if isinstance(t, wc.ResultType):
        return {"type": "result", "value": {v.tag: payload}}
    return {"type": "variant", "value": {"case": v.tag, "value": payload}}


def from_typed(j, t):
    v = j["value"]
    if scalar_tag(t):
        return v
    if isinstance(t, wc.ListType):
        return bytes(v) if isinstance(t.element, wc.U8) else [from_typed(e, t.element) for e in v]
    if isinstance(t, wc.RecordType):
        r = wc.Record()
        for n, f in t.fields:
            setattr(r, n, from_typed(v[n], f))
        return r
    if isinstance(t, wc.TupleType):
        return tuple(from_typed(e, et) for e, et in zip(v, t.elements))
    if isinstance(t, wc.EnumType):
        return v
    if isinstance(t, wc.FlagsType):
        return set(v)
    if isinstance(t, wc.OptionType):
        return wc.Variant("none", None) if v is None else wc.Variant("some", from_typed(v, t.payload))
    if isinstance(t, wc.ResultType):
        (tag, payload), = v.items()
        pt = cases(t)[tag]
        return wc.Variant(tag, None if pt is None else from_typed(payload, pt))
    pt = cases(t)[v["case"]]
    return wc.Variant(v["case"], None if pt is None else from_typed(v["value"], pt))


def not_provided(name):
    def call(_store, *_args):
        raise RuntimeError(name + " is not provided by the wasmtime oracle")
    return call


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    calls = json.load(sys.stdin)
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    component = wc.Component.from_file(engine, argv[1])
    linker = wc.Linker(engine)
    linker.add_wasip2()
    # Interfaces wasmtime does not provide (EnclaveOS's SDK) trap if called; the calls compared
    # with wasmtime never reach them. (define_unknown_imports_as_traps would also shadow the
    # WASI 0.2.x versions that add_wasip2 serves by semver.)
    with linker.root() as root:
        for name, item in component.type.imports(engine).items():
            if name.startswith("wasi:") or not isinstance(item.ty, wc.ComponentInstanceType):
                continue
            with root.add_instance(name) as instance:
                for function, ext in item.ty.exports(engine).items():
                    if isinstance(ext.ty, wc.FuncType):
                        instance.add_func(function, not_provided(name + "#" + function))
    exports = {n: e.ty for n, e in component.type.exports(engine).items() if isinstance(e.ty, wc.FuncType)}
    out = []
    with tempfile.TemporaryDirectory() as root:
        for call in calls:
            store = wasmtime.Store(engine)
            store.set_fuel(10_000_000_000)
            wasi = wasmtime.WasiConfig()
            wasi.preopen_dir(root, "/")
            store.set_wasi(wasi)
            try:
                instance = linker.instantiate(store, component)
                ftype = exports[call["function"]]
                func = instance.get_func(store, call["function"])
                args = [from_typed(p, t) for p, (_, t) in zip(call["params"], ftype.params)]
                result = func(store, *args)
                out.append({"status": "ok", "returns": [] if ftype.result is None else [to_typed(result, ftype.result)]})
            except Exception as e:  # noqa: BLE001 - a trap ends the call, as on the server
                out.append({"status": "trap", "message": str(e).splitlines()[0] if str(e) else type(e).__name__})
    json.dump(out, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
