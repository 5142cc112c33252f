#!/usr/bin/env python3
"""Checks every export of test-guest.wasm against wasmtime (PyPI `wasmtime`).

Each check uses a fresh Store + instance, like EnclaveOS does per call, so a
trap or fuel exhaustion in one check cannot affect the next. Prints one line
per check and exits non-zero if any fails.
"""
import os
import sys

import wasmtime
import wasmtime.component as wc

HERE = os.path.dirname(os.path.abspath(__file__))
WASM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "test-guest.wasm")

config = wasmtime.Config()
config.consume_fuel = True
engine = wasmtime.Engine(config)
component = wc.Component.from_file(engine, WASM)
linker = wc.Linker(engine)

passed = 0
failed = 0


def call(name, *args, fuel=10_000_000):
    store = wasmtime.Store(engine)
    store.set_fuel(fuel)
    instance = linker.instantiate(store, component)
    func = instance.get_func(store, name)
    if func is None:
        raise LookupError(f"no export {name!r}")
    return func(store, *args)


def check(label, name, args, expected):
    global passed, failed
    try:
        got = call(name, *args)
        ok = got == expected
        detail = repr(got)
    except Exception as e:  # noqa: BLE001 - report any failure
        ok, detail = False, f"{type(e).__name__}: {e}"
    print(f"{'PASS' if ok else 'FAIL'} {label}: {detail}")
    if ok:
        passed += 1
    else:
        failed += 1


def check_trap(label, name, args, needle):
    global passed, failed
    try:
        got = call(name, *args)
        ok, detail = False, f"returned {got!r}, expected a trap"
    except Exception as e:  # noqa: BLE001
        text = str(e)
        ok = needle in text
        detail = f"trapped ({text.splitlines()[-1] if text else type(e).__name__})"
    print(f"{'PASS' if ok else 'FAIL'} {label}: {detail}")
    if ok:
        passed += 1
    else:
        failed += 1


check("hello()", "hello", [], "Hello, World!")
check("add(2, 3)", "add", [2, 3], 5)
check("add wraps", "add", [0xFFFF_FFFF, 2], 1)
check("negate(42)", "negate", [42], -42)
check("negate(min) wraps", "negate", [-(2**63)], -(2**63))
check("scale(1.5, 2.0)", "scale", [1.5, 2.0], 3.0)
check("is-even(4)", "is-even", [4], True)
check("is-even(7)", "is-even", [7], False)
check("echo-u8(255)", "echo-u8", [255], 255)
check("echo-s8(-128)", "echo-s8", [-128], -128)
check("echo-u16(65535)", "echo-u16", [65535], 65535)
check("echo-s16(-32768)", "echo-s16", [-32768], -32768)
check("echo-u64(2^64-1)", "echo-u64", [2**64 - 1], 2**64 - 1)
check("echo-f32(0.5)", "echo-f32", [0.5], 0.5)
check("echo-char('é')", "echo-char", ["é"], "é")
check("echo-char('🦀')", "echo-char", ["🦀"], "🦀")
check("greet('Swift')", "greet", ["Swift"], "Hello, Swift!")
check("greet('')", "greet", [""], "Hello, !")
check("greet('日本')", "greet", ["日本"], "Hello, 日本!")
check("concat('foo', 'bar')", "concat", ["foo", "bar"], "foobar")
check("concat('', '')", "concat", ["", ""], "")
check("count-bytes('héllo')", "count-bytes", ["héllo"], 6)
check("count-bytes(64 KiB)", "count-bytes", ["x" * 65536], 65536)
check("fib(10)", "fib", [10], 55)
check("fib(90)", "fib", [90], 2880067194370816120)
# grow(0) reports the initial size in pages; growing by one returns that same old size.
initial_pages = call("grow", 0)
check(f"grow(1) == initial size {initial_pages}", "grow", [1], initial_pages if initial_pages > 0 else "positive")
check("grow(70000) fails", "grow", [70000], -1)
check_trap("spin() runs out of fuel", "spin", [], "fuel")
check_trap("crash() traps", "crash", [], "unreachable")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
