#!/usr/bin/env bash
# Builds c-sdk.wasm: C over Debian's wasi-libc (its malloc), a wasm32-wasi reactor compiled by
# the Swift toolchain's clang, its SDK imports declared by hand, made a component by
# `wasm-tools component new` with the WASI preview 1 reactor adapter (see ../c-wasi-files).
# The WIT is wit/world.wit plus the repository's wit/deps/enclave-os. Deterministic.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
CLANG="${CLANG:-/opt/swift/usr/bin/clang}"
BUILTINS="${BUILTINS:-/usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
adapter="$("$here/../common/preview1-adapter.sh")"
mkdir -p "$work/wit/deps/enclave-os"
cp "$here/wit/world.wit" "$work/wit/"
cp "$repo/wit/deps/enclave-os/enclave-os.wit" "$work/wit/deps/enclave-os/"
"$CLANG" --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -Os -nodefaultlibs \
    -Wl,--strip-all -o "$work/sdk.core.wasm" "$here/sdk.c" -lc "$BUILTINS"
wasm-tools component embed "$work/wit" --world c-sdk "$work/sdk.core.wasm" -o "$work/sdk.embedded.wasm"
wasm-tools component new "$work/sdk.embedded.wasm" --adapt "wasi_snapshot_preview1=$adapter" -o "$here/c-sdk.wasm"
wasm-tools validate "$here/c-sdk.wasm"
echo "built $here/c-sdk.wasm ($(wc -c < "$here/c-sdk.wasm") bytes)"
