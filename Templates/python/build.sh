#!/usr/bin/env bash
# Builds {{name}}.wasm, a WebAssembly component, from app.py and wit/world.wit with
# componentize-py, which generates the bindings (the wit_world package) and bundles CPython.
#
# Needs: Python 3 and componentize-py 0.25.1 (python3 -m pip install componentize-py==0.25.1);
# other versions generate different bindings.
set -euo pipefail
cd "$(dirname "$0")"
NAME={{name}}
VERSION=0.25.1
fail() { echo "build.sh: $*" >&2; exit 1; }
# The console script, or the module itself when pip's script folder is not on PATH.
componentize_py() {
    if command -v componentize-py >/dev/null; then componentize-py "$@"
    else python3 -c 'import sys, componentize_py; sys.argv[0] = "componentize-py"; componentize_py.script()' "$@"; fi
}
found="$(componentize_py --version 2>/dev/null | awk '{print $2}')" \
    || fail "componentize-py not found: python3 -m pip install componentize-py==$VERSION"
[ "$found" = "$VERSION" ] || fail "componentize-py $found found, this app is written for $VERSION: python3 -m pip install componentize-py==$VERSION"
componentize_py -d wit -w "$NAME" componentize app -o "$NAME.wasm"
echo "built $NAME.wasm ($(wc -c < "$NAME.wasm") bytes)"
