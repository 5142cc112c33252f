#!/usr/bin/env bash
# Rebuilds string-guest.wasm from app.swift with ../common/build-embedded-swift.sh, linking the
# toolchain's embedded Unicode data tables as well, which real `String` APIs need.
set -euo pipefail
cd "$(dirname "$0")"
SWIFT_BIN="${SWIFT_BIN:-/opt/swift/usr/bin}"
exec ../common/build-embedded-swift.sh string-guest string-guest.wasm app.swift \
    "$SWIFT_BIN/../lib/swift/embedded/wasm32-unknown-none-wasm/libswiftUnicodeDataTables.a"
