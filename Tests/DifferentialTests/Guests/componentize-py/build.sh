#!/usr/bin/env bash
# Builds the componentize-py (CPython) component from app.py and wit/world.wit, with the SDK's
# WIT from the repository's wit/deps/enclave-os, into $OUT (default:
# <repo>/.build/guests/componentize-py.wasm, out of git: ~18 MB). componentize-py is the version
# pinned in tests/requirements.txt (the test command installs it before running this).
#
# A build takes ~15 s of CPU (over a minute on a busy machine) and its bytes are NOT reproducible
# (two builds of the same inputs differ in size), so the result is cached by the SHA-256 of its
# inputs (app.py, the WIT, the componentize-py version) in ENCLAVE_GUEST_CACHE (default
# ~/.cache/enclaveos-guests): the test command rebuilds only when an input changed. The tests
# compare against wasmtime running the very same file, so which build it is does not matter.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
OUT="${OUT:-$repo/.build/guests/componentize-py.wasm}"
cache="${ENCLAVE_GUEST_CACHE:-$HOME/.cache/enclaveos-guests}"
# The console script, or the module itself when pip's script directory is not on PATH.
componentize_py() {
    if command -v componentize-py >/dev/null; then componentize-py "$@"
    else python3 -c 'import sys, componentize_py; sys.argv[0] = "componentize-py"; componentize_py.script()' "$@"; fi
}
version="$(componentize_py --version | awk '{print $2}')" || { echo "componentize-py is not installed: pip install -r tests/requirements.txt" >&2; exit 1; }
inputs="$(cat "$here/app.py" "$here/wit/world.wit" "$repo/wit/deps/enclave-os/enclave-os.wit" | sha256sum | cut -c1-16)"
cached="$cache/componentize-py-$version-$inputs.wasm"
if [ ! -f "$cached" ]; then
    work="$cache/work"
    rm -rf "$work"
    mkdir -p "$work/wit/deps/enclave-os" "$cache"
    cp "$here/wit/world.wit" "$work/wit/"
    cp "$repo/wit/deps/enclave-os/enclave-os.wit" "$work/wit/deps/enclave-os/"
    (cd "$here" && componentize_py -d "$work/wit" -w hello componentize app -o "$work/out.wasm")
    mv "$work/out.wasm" "$cached"
    rm -rf "$work"
fi
mkdir -p "$(dirname "$OUT")"
cp "$cached" "$OUT"
echo "componentize-py $version component: $OUT ($(wc -c < "$OUT") bytes, sha256 $(sha256sum "$OUT" | cut -c1-16)…)"
