#!/usr/bin/env bash
# Builds a third-party-toolchain component from app.py with componentize-py (PyPI), into
# $OUT (default /tmp/enclave-componentize-py/hello.wasm). Not committed: it is ~18 MB (CPython).
# ThirdPartyComponentTests loads it when present (or from $ENCLAVE_COMPONENTIZE_PY_WASM).
set -euo pipefail
cd "$(dirname "$0")"
OUT="${OUT:-/tmp/enclave-componentize-py/hello.wasm}"
mkdir -p "$(dirname "$OUT")"
command -v componentize-py >/dev/null || python3 -m pip install --quiet componentize-py
componentize-py -d wit -w hello componentize app -o "$OUT"
echo "built $OUT ($(wc -c < "$OUT") bytes)"
