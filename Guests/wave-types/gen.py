#!/usr/bin/env python3
"""Writes the wave-types guest's sources: wit/world.wit (root-level echo exports of every WIT
type of the all-types differential guest, plus `spill` with 17 parameters), echo.c and
echo.swift (each export returns its argument), for Templates/common/bindgen.py to glue.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "DifferentialTests", "Guests", "all-types"))
from wit_types import ECHOES, SPILL_PARAMS, definition, named_types, wit  # noqa: E402


def camel(name):
    words = name.split("-")
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def main():
    defs = []
    for _, t in ECHOES + SPILL_PARAMS:
        named_types(t, defs)
    spill = ("tuple", [t for _, t in SPILL_PARAMS])
    lines = ["package enclaveos:wave-types;", "",
             "/// Root-level echoes of every WIT value type, glued by Templates/common/bindgen.py.",
             "world wave-types {"]
    lines += ["  " + definition(d).strip() for d in defs]
    for name, t in ECHOES:
        lines.append("  export echo-%s: func(x: %s) -> %s;" % (name, wit(t), wit(t)))
    lines.append("  export spill: func(%s) -> %s;" % (", ".join("%s: %s" % (p, wit(t)) for p, t in SPILL_PARAMS), wit(spill)))
    lines.append("}")
    os.makedirs(os.path.join(HERE, "wit"), exist_ok=True)
    with open(os.path.join(HERE, "wit", "world.wit"), "w") as f:
        f.write("\n".join(lines) + "\n")

    c = ['#include "bindings.h"', ""]
    swift = ["// Each export returns its argument."]
    for name, t in ECHOES:
        c.append("%s app_echo_%s(%s x) { return x; }" % (c_type(t), name.replace("-", "_"), c_type(t)))
        swift.append("func %s(x: %s) -> %s { x }" % (camel("echo-" + name), swift_type(t), swift_type(t)))
    names = [p for p, _ in SPILL_PARAMS]
    c.append("app_%s_t app_spill(%s) {" % (spill_key(), ", ".join("%s %s" % (c_type(t), p) for p, t in SPILL_PARAMS)))
    c.append("    return (app_%s_t){ %s };" % (spill_key(), ", ".join(names)))
    c.append("}")
    swift.append("func spill(%s) -> (%s) {" % (", ".join("%s: %s" % (p, swift_type(t)) for p, t in SPILL_PARAMS),
                                                ", ".join(swift_type(t) for _, t in SPILL_PARAMS)))
    swift.append("    (%s)" % ", ".join(names))
    swift.append("}")
    with open(os.path.join(HERE, "echo.c"), "w") as f:
        f.write("\n".join(c) + "\n")
    with open(os.path.join(HERE, "echo.swift"), "w") as f:
        f.write("\n".join(swift) + "\n")


C_PRIM = {"bool": "bool", "s8": "int8_t", "u8": "uint8_t", "s16": "int16_t", "u16": "uint16_t", "s32": "int32_t",
          "u32": "uint32_t", "s64": "int64_t", "u64": "uint64_t", "f32": "float", "f64": "double", "char": "uint32_t",
          "string": "app_string_t"}
SWIFT_PRIM = {"bool": "Bool", "s8": "Int8", "u8": "UInt8", "s16": "Int16", "u16": "UInt16", "s32": "Int32",
              "u32": "UInt32", "s64": "Int64", "u64": "UInt64", "f32": "Float", "f64": "Double",
              "char": "Unicode.Scalar", "string": "String"}


def key(t):
    """bindgen's type key (wit_model.key) for the all-types tuple shapes."""
    k = t[0]
    if k in C_PRIM:
        return k
    if k in ("record", "variant", "enum", "flags"):
        return t[1].replace("-", "_")
    if k in ("list", "option"):
        return "%s_%s" % (k, key(t[1]))
    if k == "tuple":
        return "tuple%d_%s" % (len(t[1]), "_".join(key(x) for x in t[1]))
    if k == "result":
        return "result_%s_%s" % (key(t[1]) if t[1] else "void", key(t[2]) if t[2] else "void")
    raise ValueError(k)


def spill_key():
    return key(("tuple", [t for _, t in SPILL_PARAMS]))


def c_type(t):
    return C_PRIM[t[0]] if t[0] in C_PRIM else "app_%s_t" % key(t)


def swift_type(t):
    k = t[0]
    if k in SWIFT_PRIM:
        return SWIFT_PRIM[k]
    if k in ("record", "variant", "enum", "flags"):
        return camel(t[1])[:1].upper() + camel(t[1])[1:]
    if k == "list":
        return "[%s]" % swift_type(t[1])
    if k == "option":
        return "%s?" % swift_type(t[1])
    if k == "tuple":
        return "(%s)" % ", ".join(swift_type(x) for x in t[1])
    if k == "result":
        return "WITResult<%s, %s>" % (swift_type(t[1]) if t[1] else "Void", swift_type(t[2]) if t[2] else "Void")
    raise ValueError(k)


if __name__ == "__main__":
    main()
