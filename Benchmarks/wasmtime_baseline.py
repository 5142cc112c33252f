#!/usr/bin/env python3
"""The wasmtime side of `enclave-bench` (PyPI `wasmtime`, which bundles the native library).

Usage: wasmtime_baseline.py REQUEST_JSON   (one JSON object argument; prints one JSON object)
  {"bench_guest": path, "app": path or null, "fuel": 10000000,
   "fib_n": 27, "loop_n": 600000, "compute_runs": 5, "fresh_runs": 2000}
  or, for a large component with WASI imports (e.g. componentize-py's CPython):
  {"large_component": path, "fuel": N, "export": "add", "args": [1, 2], "fresh_runs": 50, "warm_runs": 2000}

Everything is timed in this process with time.perf_counter_ns, so every figure includes the
Python wrapper (ctypes calls, value conversion). The wrapper's own per-call cost is measured
separately as `wrapper_call_ns`: a call of `loop(0)` on an existing instance (6 operators of
guest work, so ~all of it is wrapper). Figures named `*_net_*` have it subtracted; the raw ones
are reported too, so the reader can see both.

Fuel is on everywhere (Config.consume_fuel), with the same budget EnclaveOS gives a call.
"""
import atexit
import importlib.metadata
import json
import shutil
import statistics
import sys
import tempfile
import time

import wasmtime
import wasmtime.component as wc


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100.0 * len(ordered)))]


class Guest:
    def __init__(self, engine, path, wasi=False, fetch=None):
        self.engine = engine
        self.component = wc.Component.from_file(engine, path)
        self.linker = wc.Linker(engine)
        self.wasi = wasi
        if wasi:
            self.linker.add_wasip2()
            self.data_dir = tempfile.mkdtemp(prefix="enclave-bench-wasmtime-")
            atexit.register(shutil.rmtree, self.data_dir, True)
        if fetch is not None:
            with self.linker.root() as root:
                with root.add_instance("privasys:enclave-os/https@0.1.0") as https:
                    https.add_func("fetch", fetch)

    def fresh(self, fuel):
        """A new Store and instance, as EnclaveOS gives every call."""
        store = wasmtime.Store(self.engine)
        store.set_fuel(fuel)
        if self.wasi:
            config = wasmtime.WasiConfig()
            config.preopen_dir(self.data_dir, "/")
            store.set_wasi(config)
        return store, self.linker.instantiate(store, self.component)


def fresh_call_ns(guest, export, args, fuel, runs):
    """Store + instantiate + call + drop, per call."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        store, instance = guest.fresh(fuel)
        instance.get_func(store, export)(store, *args)
        samples.append(time.perf_counter_ns() - start)
    return samples


def large_component(request):
    """Compile time, first call, fresh-instance calls (Store + WASI + instantiate + call) and
    warm calls (one instance) of one export of a large WASI component."""
    fuel = int(request["fuel"])
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    start = time.perf_counter_ns()
    guest = Guest(engine, request["large_component"], wasi=True)
    compile_ns = time.perf_counter_ns() - start
    export, args = request["export"], tuple(request["args"])
    start = time.perf_counter_ns()
    store, instance = guest.fresh(fuel)
    result = instance.get_func(store, export)(store, *args)
    first_ns = time.perf_counter_ns() - start
    call_fuel = fuel - store.get_fuel()
    fresh = fresh_call_ns(guest, export, args, fuel, int(request["fresh_runs"]))
    store, instance = guest.fresh(fuel)
    func = instance.get_func(store, export)
    warm = []
    for _ in range(int(request["warm_runs"])):
        store.set_fuel(fuel)
        begin = time.perf_counter_ns()
        func(store, *args)
        warm.append(time.perf_counter_ns() - begin)
    return {"version": importlib.metadata.version("wasmtime"), "result": result, "compile_ns": compile_ns,
            "first_call_ns": first_ns, "call_fuel": call_fuel, "fresh_ns_p50": percentile(fresh, 50), "fresh_ns_p99": percentile(fresh, 99),
            "warm_ns_p50": percentile(warm, 50)}


def main():
    request = json.loads(sys.argv[1])
    if "large_component" in request:
        json.dump(large_component(request), sys.stdout)
        sys.stdout.write("\n")
        return
    fuel = int(request["fuel"])
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    bench = Guest(engine, request["bench_guest"])
    out = {"fuel_budget": fuel, "version": importlib.metadata.version("wasmtime")}

    # The wrapper's own per-call cost: loop(0) runs 6 operators.
    store, instance = bench.fresh(fuel)
    trivial = instance.get_func(store, "loop")
    for _ in range(200):
        trivial(store, 0)
        store.set_fuel(fuel)
    samples = []
    for _ in range(2000):
        start = time.perf_counter_ns()
        trivial(store, 0)
        samples.append(time.perf_counter_ns() - start)
        store.set_fuel(fuel)
    wrapper = statistics.median(samples)
    out["wrapper_call_ns"] = wrapper

    # Compute: the same export and argument as ours, fuel on, on an instance made for the run.
    # The fuel consumed is reported so the Swift side can compare metering, not just time.
    for name, n in (("fib", request["fib_n"]), ("loop", request["loop_n"])):
        times, consumed, result = [], None, None
        for _ in range(int(request["compute_runs"])):
            store, instance = bench.fresh(fuel)
            func = instance.get_func(store, name)
            start = time.perf_counter_ns()
            result = func(store, n)
            times.append(time.perf_counter_ns() - start)
            consumed = fuel - store.get_fuel()
        out[name] = {"n": n, "result": result, "fuel_consumed": consumed,
                     "raw_ns_p50": statistics.median(times), "net_ns_p50": statistics.median(times) - wrapper}

    # Fuel of small inputs, path by path, for the parity table.
    probes = {}
    for name, n in (("fib", 0), ("fib", 1), ("fib", 2), ("fib", 10), ("loop", 0), ("loop", 1), ("loop", 100)):
        store, instance = bench.fresh(fuel)
        instance.get_func(store, name)(store, n)
        probes["%s(%d)" % (name, n)] = fuel - store.get_fuel()
    store, instance = bench.fresh(fuel)
    instance.get_func(store, "hello")(store)
    probes["hello()"] = fuel - store.get_fuel()
    out["fuel_probes"] = probes

    # Fresh-instance cost: bench-guest hello (no imports) and, when given, the reference app's
    # hello (WASI linked, a preopened directory per store, like EnclaveOS's sealed filesystem).
    runs = int(request["fresh_runs"])
    guests = [("bench_hello", bench)]
    if request.get("app"):
        stub = lambda store, method, url, headers, body: (200, [], b"")  # noqa: E731 (never called by hello)
        guests.append(("app_hello", Guest(engine, request["app"], wasi=True, fetch=stub)))
    for label, guest in guests:
        fresh_call_ns(guest, "hello", (), fuel, min(200, runs))  # warm-up
        samples = fresh_call_ns(guest, "hello", (), fuel, runs)
        out[label] = {"raw_ns_p50": percentile(samples, 50), "raw_ns_p99": percentile(samples, 99),
                      "net_ns_p50": percentile(samples, 50) - wrapper,
                      "net_ns_p99": percentile(samples, 99) - wrapper}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
