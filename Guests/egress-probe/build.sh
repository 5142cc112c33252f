#!/usr/bin/env bash
# Rebuilds the two egress probe components (one per WIT shape of `fetch`) from the Swift sources;
# the pipeline is ../common/build-embedded-swift.sh. Memory.swift and Text.swift are the
# reference app's.
set -euo pipefail
cd "$(dirname "$0")"
WIT_DIR=wit-positional ../common/build-embedded-swift.sh egress-probe-positional egress-probe-positional.wasm \
    --module-name Probe Probe.swift Positional.swift ../wasm-app-example/Memory.swift ../wasm-app-example/Text.swift
WIT_DIR=wit-record ../common/build-embedded-swift.sh egress-probe-record egress-probe-record.wasm \
    --module-name Probe Probe.swift Record.swift ../wasm-app-example/Memory.swift ../wasm-app-example/Text.swift
wasm-tools parse wrong-shape.wat -o wrong-shape.wasm
