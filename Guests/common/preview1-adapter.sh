#!/usr/bin/env bash
# Prints the path of the WASI preview 1 reactor adapter. The script that extracts it lives with
# the C app template (Templates/c/support), which every app made by `enclave new --lang c` carries.
exec "$(dirname "$0")/../../Templates/c/support/preview1-adapter.sh" "$@"
