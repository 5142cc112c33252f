#!/usr/bin/env python3
"""Checks wasm-app-example.wasm on wasmtime (PyPI `wasmtime`), independently of EnclaveOS.

WASI comes from wasmtime (`Linker.add_wasip2()`, a temporary directory preopened as `/`);
`privasys:enclave-os/https.fetch` is a Python stub that serves the news fixture's front page
(or a chosen status / error). Each call gets a fresh Store + instance and EnclaveOS's default fuel budget (10 M), like EnclaveOS.
Prints one line per check and exits non-zero if any fails.
"""
import os
import re
import sys
import tempfile
import time

import wasmtime
import wasmtime.component as wc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "fixtures"))
import news_server  # noqa: E402  (the same page the HTTPS fixture serves)

WASM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "wasm-app-example.wasm")

# Fuel on, with EnclaveOS's default budget per call, so the checks also show each call fits it
# (wasmtime charges bulk memory operations per byte, so this is the stricter meter).
FUEL = 10_000_000
config = wasmtime.Config()
config.consume_fuel = True
engine = wasmtime.Engine(config)
component = wc.Component.from_file(engine, WASM)
linker = wc.Linker(engine)
linker.add_wasip2()
fetch_mode = {"status": 200, "error": None}
fetch_calls = []


def fetch(store, method, url, headers, body):
    fetch_calls.append((method, url, headers, body))
    if fetch_mode["error"]:
        return fetch_mode["error"]  # err(string)
    status = fetch_mode["status"]
    page = news_server.front_page() if status == 200 else b"nope"
    return (status, [("content-type", "text/html")], page)


with linker.root() as root:
    with root.add_instance("privasys:enclave-os/https@0.1.0") as https:
        https.add_func("fetch", fetch)

data_dir = tempfile.mkdtemp(prefix="wasm-app-example-")
failed = 0


def call(name, *args):
    store = wasmtime.Store(engine)
    store.set_fuel(FUEL)
    wasi = wasmtime.WasiConfig()
    wasi.preopen_dir(data_dir, "/")
    store.set_wasi(wasi)
    instance = linker.instantiate(store, component)
    func = instance.get_func(store, name)
    return func(store, *args)


def check(label, ok, detail):
    global failed
    print(f"{'PASS' if ok else 'FAIL'} {label}: {detail!r}")
    failed += 0 if ok else 1


got = call("hello"); check("hello", got == "Hello, World!", got)
values = [call("get-random") for _ in range(20)]
check("get-random in [1, 100] and varies", all(1 <= v <= 100 for v in values) and len(set(values)) > 1, values)
got = call("get-time")
m = re.fullmatch(r"(\d+)\.(\d{9})", got)
check("get-time format and value", bool(m) and abs(int(m.group(1)) - time.time()) < 60, got)
got = call("kv-store", "greeting", "Hello from WASM in SGX!"); check("kv-store", got == "stored: greeting", got)
got = call("kv-read", "greeting"); check("kv-read round trip", got == "Hello from WASM in SGX!", got)
got = call("kv-store", "greeting", "short"); check("kv-store again", got == "stored: greeting", got)
got = call("kv-read", "greeting"); check("kv-store truncates", got == "short", got)
big = "é" * 100_000
call("kv-store", "big", big); got = call("kv-read", "big"); check("kv 200 KB round trip", got == big, len(got))
mebibyte = "".join(chr(0x21 + i % 94) for i in range(1 << 20))
got = call("kv-store", "mebibyte", mebibyte); check("kv-store 1 MiB within the fuel budget", got == "stored: mebibyte", got)
got = call("kv-read", "mebibyte"); check("kv 1 MiB round trip within the fuel budget", got == mebibyte, len(got))
got = call("kv-read", "missing"); check("kv-read missing", got == "error: key not found: missing", got)
got = call("fetch-headlines")
expected = "\n".join(f"{i + 1}. {t}" for i, t in enumerate(news_server.EXPECTED))
check("fetch-headlines", got == expected, got)
method, url, headers, body = fetch_calls[-1]
check("fetch request", (method, url, body) == (0, "https://www.lemonde.fr", None), (method, url, headers, body))
fetch_mode["status"] = 503
got = call("fetch-headlines"); check("fetch-headlines non-200", got == "error: HTTP 503", got)
fetch_mode["error"] = "certificate verify failed for www.lemonde.fr: untrusted"
got = call("fetch-headlines")
check("fetch-headlines err", got == "error: certificate verify failed for www.lemonde.fr: untrusted", got)
print("ALL CHECKS PASSED" if failed == 0 else f"{failed} CHECK(S) FAILED")
sys.exit(1 if failed else 0)
