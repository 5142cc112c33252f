#!/usr/bin/env bash
# Rebuilds test-guest.wasm (a WebAssembly component) from app.swift, guest_hooks.c and the shared
# ../common/alloc.c; the pipeline is ../common/build-embedded-swift.sh.
set -euo pipefail
cd "$(dirname "$0")"
exec ../common/build-embedded-swift.sh test-guest test-guest.wasm app.swift guest_hooks.c
