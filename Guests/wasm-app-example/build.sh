#!/usr/bin/env bash
# Rebuilds wasm-app-example.wasm (a WebAssembly component) from the Swift sources and the shared
# ../common/alloc.c; the pipeline is ../common/build-embedded-swift.sh.
set -euo pipefail
cd "$(dirname "$0")"
exec ../common/build-embedded-swift.sh wasm-app-example wasm-app-example.wasm --module-name App \
    app.swift Imports.swift Memory.swift Text.swift
