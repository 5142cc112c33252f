#!/usr/bin/env bash
# Rebuilds wave-types-c.wasm and wave-types-swift.wasm: gen.py writes wit/world.wit (echoes of
# every WIT type) and the echo sources, then each is built exactly as an app made by
# `enclave new --lang c|swift` is, from a copy of Templates/<lang> with this WIT and these
# sources: the template's build.sh and its bindings generator (Templates/common/bindgen.py).
# Needs what those templates need (their READMEs). Deterministic for a given toolchain.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
templates="$here/../../Templates"
python3 "$here/gen.py"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for lang in c swift; do
    app="$work/$lang"
    mkdir -p "$app/support"
    cp -R "$templates/$lang/." "$app/"
    cp "$templates"/common/*.py "$app/support/"
    rm -f "$app/app.c" "$app/App.swift"
    cp "$here/wit/world.wit" "$app/wit/world.wit"
    if [ "$lang" = c ]; then cp "$here/echo.c" "$app/"; else cp "$here/echo.swift" "$app/"; fi
    sed -i 's/{{name}}/wave-types/g' "$app/build.sh"
    "$app/build.sh"
    cp "$app/wave-types.wasm" "$here/wave-types-$lang.wasm"
done
ls -l "$here"/wave-types-*.wasm
