"""Runs the `resources` fixture in wasmtime (PyPI `wasmtime`, component API) with the same host
semantics as ResourceTests.swift, and prints one JSON object: export call → result or "trap".
The Swift suite runs this and compares (ResourceTests.testResultsEqualWasmtime)."""
import json
import sys

from wasmtime import Engine, Store
from wasmtime.component import Component, Linker, ResourceHost, ResourceType

COUNTER, TOKEN = 1, 2


def run(path):
    engine = Engine()
    component = Component.from_file(engine, path)
    out = {}

    def call(label, export, *args, iface=None):
        state = {"counters": {}, "next": 100, "events": [], "notes": []}
        linker = Linker(engine)
        with linker.root() as root:
            with root.add_instance("test:resources/host") as host:
                def drop_counter(_store, rep):
                    state["events"].append(f"drop counter {rep}")
                    state["counters"].pop(rep, None)

                def drop_token(_store, rep):
                    state["events"].append(f"drop token {rep}")

                host.add_resource("counter", ResourceType.host(COUNTER), drop_counter)
                host.add_resource("token", ResourceType.host(TOKEN), drop_token)

                def make(value):
                    rep = state["next"]
                    state["next"] += 1
                    state["counters"][rep] = value
                    return rep

                # `to_host` may be called once per handle: wasmtime-py consumes a borrow there.
                def rep_of(store, handle):
                    return handle.to_host(store).rep

                def value_of(store, handle):
                    return state["counters"][rep_of(store, handle)]

                host.add_func("[constructor]counter", lambda _s, start: ResourceHost.own(make(start), COUNTER))
                def add(s, handle, n):
                    rep = rep_of(s, handle)
                    state["counters"][rep] = state["counters"][rep] + n
                host.add_func("[method]counter.add", add)
                host.add_func("[method]counter.get", lambda s, h: value_of(s, h))
                host.add_func("peek", lambda s, h: value_of(s, h))
                def consume(s, handle):
                    rep = rep_of(s, handle)
                    v = state["counters"][rep]
                    state["events"].append(f"consume counter {rep}")
                    state["counters"].pop(rep, None)
                    return v
                host.add_func("consume", consume)
                host.add_func("both", lambda s, a, b: value_of(s, a) + value_of(s, b))
                def make_token(_s):
                    rep = state["next"]
                    state["next"] += 1
                    return ResourceHost.own(rep, TOKEN)
                host.add_func("make-token", make_token)
                host.add_func("session-tag", lambda _s: 7)
                host.add_func("note", lambda _s, x: state["notes"].append(x))
        store = Store(engine)
        instance = linker.instantiate(store, component)
        if iface:
            index = instance.get_export_index(store, iface)
            func = instance.get_func(store, instance.get_export_index(store, export, index))
        else:
            func = instance.get_func(store, export)
        try:
            result = func(store, *args)
            func.post_return(store) if hasattr(func, "post_return") else None
            out[label] = {"result": result, "events": state["events"], "notes": state["notes"]}
        except Exception as error:  # a guest trap (WasmtimeError) or a host error it caused
            print(label, str(error)[:300].replace("\n", " | "), file=sys.stderr)
            out[label] = {"result": "trap", "events": state["events"], "notes": state["notes"]}

    call("basic", "basic")
    for name in ["drop-twice", "use-after-drop", "wrong-type", "out-of-range", "lend-and-move"]:
        call(name, name)
    for n in [0, 1, 1000]:
        call(f"many({n})", "many", n)
    call("use-acc", "use-acc")
    call("tag", "tag")
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else "../resources.wasm")
