"""Swift output of bindgen.py: Bindings.swift for Embedded Swift apps (see support/Guest.swift)."""
from wit_model import (PRIMITIVES, body, camel, core_signature, despecialize, disc_size, field_offsets,
                       flags_size, flat, key, all_types, params_tuple, payload_offset, size, alignment, CORE_SWIFT)

KEYWORDS = {
    "as", "break", "case", "catch", "class", "continue", "default", "defer", "do", "else", "enum", "extension",
    "fallthrough", "false", "for", "func", "guard", "if", "import", "in", "init", "inout", "internal", "is",
    "let", "nil", "operator", "private", "protocol", "public", "repeat", "rethrows", "return", "self", "Self",
    "static", "struct", "subscript", "super", "switch", "throw", "throws", "true", "try", "typealias", "var",
    "where", "while", "Type", "any", "some",
}

SWIFT_PRIMITIVE = {
    "bool": "Bool", "s8": "Int8", "u8": "UInt8", "s16": "Int16", "u16": "UInt16", "s32": "Int32", "u32": "UInt32",
    "s64": "Int64", "u64": "UInt64", "f32": "Float", "f64": "Double", "char": "Unicode.Scalar", "string": "String",
}

INT_BITS = {"s8": ("Int8", 8), "u8": ("UInt8", 8), "s16": ("Int16", 16), "u16": ("UInt16", 16)}


def ident(name, upper=False):
    text = camel(name, upper)
    return "`%s`" % text if text in KEYWORDS else text


def swift_type(t):
    k = t[0]
    if k in PRIMITIVES:
        return SWIFT_PRIMITIVE[k]
    if k == "named":
        return ident(t[1], upper=True)
    if k == "list":
        return "[%s]" % swift_type(t[1])
    if k == "option":
        return "%s?" % swift_type(t[1])
    if k == "result":
        return "WITResult<%s, %s>" % (swift_type(t[1]) if t[1] else "Void", swift_type(t[2]) if t[2] else "Void")
    if k == "tuple":
        return "(%s)" % ", ".join(swift_type(x) for x in t[1])
    raise ValueError(k)


def disc_swift(n):
    return {1: "UInt8", 2: "UInt16", 4: "UInt32"}[disc_size(n)]


def cases_of(t):
    """(case label in Swift, payload type or None, pattern maker) for variant-like types."""
    b = body(t)
    k = b[0]
    if k == "variant":
        return [(ident(c), p) for c, p in b[1]]
    if k == "enum":
        return [(ident(c), None) for c in b[1]]
    if k == "option":
        return [("none", None), ("some", b[1])]
    if k == "result":
        return [("ok", b[1] or ()), ("err", b[2] or ())]
    raise ValueError(k)


def payload_type(p):
    """None: no payload; (): Void payload (result without a type); else the type."""
    return p


def declaration(t):
    """Swift declaration of a named WIT type."""
    name, b = ident(t[1], upper=True), t[2]
    k = b[0]
    if k == "record":
        fields = "\n".join("    var %s: %s" % (ident(f), swift_type(ft)) for f, ft in b[1])
        return "struct %s {\n%s\n}\n" % (name, fields)
    if k == "variant":
        cases = "\n".join("    case %s%s" % (ident(c), "" if p is None else "(%s)" % swift_type(p)) for c, p in b[1])
        return "enum %s {\n%s\n}\n" % (name, cases)
    if k == "enum":
        return "enum %s: UInt32 {\n    case %s\n}\n" % (name, ", ".join(ident(c) for c in b[1]))
    if k == "flags":
        raw = {1: "UInt8", 2: "UInt16", 4: "UInt32"}[flags_size(len(b[1]))]
        lines = ["struct %s: OptionSet {" % name, "    let rawValue: %s" % raw, "    init(rawValue: %s) { self.rawValue = rawValue }" % raw]
        lines += ["    static let %s = %s(rawValue: 1 << %d)" % (ident(f), name, i) for i, f in enumerate(b[1])]
        return "\n".join(lines) + "\n}\n"
    raise ValueError(k)


# ------------------------------------------------------------------ per-type functions

def lift(t):
    """Body of `_lift_K(_ r: inout FlatReader) -> T`."""
    b, T = body(t), swift_type(t)
    k = b[0]
    if k == "bool":
        return "r.i32() != 0"
    if k in INT_BITS:
        return "%s(truncatingIfNeeded: r.i32())" % INT_BITS[k][0]
    if k == "s32":
        return "r.i32()"
    if k == "u32":
        return "UInt32(bitPattern: r.i32())"
    if k == "s64":
        return "r.i64()"
    if k == "u64":
        return "UInt64(bitPattern: r.i64())"
    if k in ("f32", "f64"):
        return "r.%s()" % k
    if k == "char":
        return "Guest.scalar(UInt32(bitPattern: r.i32()))"
    if k == "string":
        return "Guest.string(r.i32(), r.i32())"
    if k == "list":
        return "Guest.list(r.i32(), r.i32(), stride: %d) { _load_%s($0) }" % (size(b[1]), key(b[1]))
    if k == "record":
        return "%s(%s)" % (T, ", ".join("%s: _lift_%s(&r)" % (ident(f), key(ft)) for f, ft in b[1]))
    if k == "tuple":
        return "(%s)" % ", ".join("_lift_%s(&r)" % key(x) for x in b[1])
    if k == "flags":
        return "%s(rawValue: %s(truncatingIfNeeded: r.i32()))" % (T, {1: "UInt8", 2: "UInt16", 4: "UInt32"}[flags_size(len(b[1]))])
    return None  # variants: a statement body, see variant_lift


def variant_lift(t):
    b, T = body(t), swift_type(t)
    slots = len(flat(t)) - 1
    lines = ["    let discriminant = r.i32()", "    let start = r.index", "    let value: %s" % T, "    switch discriminant {"]
    for i, (case, p) in enumerate(cases_of(t)):
        label = "default" if i == len(cases_of(t)) - 1 else "case %d" % i
        lines.append("    %s: value = %s" % (label, construct(b, case, p, "_lift_%s(&r)")))
    lines += ["    }", "    r.index = start + %d" % slots, "    return value"]
    return "\n".join(lines)


def construct(b, case, p, reader):
    """Swift expression building a case value; `reader` formats the payload read with its key."""
    if b[0] == "enum":
        return ".%s" % case
    if p is None:
        return ".%s" % case
    if p == ():
        return ".%s(())" % case
    return ".%s(%s)" % (case, reader % key(p))


def load(t):
    b, T = body(t), swift_type(t)
    k = b[0]
    simple = {"s8": "Int8", "u8": "UInt8", "s16": "Int16", "u16": "UInt16", "s32": "Int32", "u32": "UInt32",
              "s64": "Int64", "u64": "UInt64", "f32": "Float", "f64": "Double"}
    if k in simple:
        return "p.loadUnaligned(as: %s.self)" % simple[k]
    if k == "bool":
        return "p.load(as: UInt8.self) != 0"
    if k == "char":
        return "Guest.scalar(p.loadUnaligned(as: UInt32.self))"
    if k == "string":
        return "Guest.string(p.loadUnaligned(as: Int32.self), p.loadUnaligned(fromByteOffset: 4, as: Int32.self))"
    if k == "list":
        return "Guest.list(p.loadUnaligned(as: Int32.self), p.loadUnaligned(fromByteOffset: 4, as: Int32.self), stride: %d) { _load_%s($0) }" % (size(b[1]), key(b[1]))
    if k == "record":
        return "%s(%s)" % (T, ", ".join("%s: _load_%s(p + %d)" % (ident(f), key(ft), o) for (f, ft), o in zip(b[1], field_offsets(t))))
    if k == "tuple":
        return "(%s)" % ", ".join("_load_%s(p + %d)" % (key(x), o) for x, o in zip(b[1], field_offsets(t)))
    if k == "flags":
        raw = {1: "UInt8", 2: "UInt16", 4: "UInt32"}[flags_size(len(b[1]))]
        return "%s(rawValue: p.loadUnaligned(as: %s.self))" % (T, raw)
    return None


def variant_load(t):
    b, T = body(t), swift_type(t)
    cases = cases_of(t)
    lines = ["    let discriminant = Int(p.loadUnaligned(as: %s.self))" % disc_swift(len(cases)), "    switch discriminant {"]
    for i, (case, p) in enumerate(cases):
        label = "default" if i == len(cases) - 1 else "case %d" % i
        lines.append("    %s: return %s" % (label, construct(b, case, p, "_load_%%s(p + %d)" % payload_offset(t))))
    lines.append("    }")
    return "\n".join(lines)


def store(t):
    """Body of `_store_K(_ v: T, _ p: UnsafeMutableRawPointer)`."""
    b = body(t)
    k = b[0]
    simple = {"s8": "Int8", "u8": "UInt8", "s16": "Int16", "u16": "UInt16", "s32": "Int32", "u32": "UInt32",
              "s64": "Int64", "u64": "UInt64", "f32": "Float", "f64": "Double"}
    if k in simple:
        return "    p.storeBytes(of: v, as: %s.self)" % simple[k]
    if k == "bool":
        return "    p.storeBytes(of: v ? 1 : 0, as: UInt8.self)"
    if k == "char":
        return "    p.storeBytes(of: v.value, as: UInt32.self)"
    if k == "string":
        return "    Guest.store(v, at: p)"
    if k == "list":
        return "    Guest.store(v, at: p, stride: %d) { _store_%s($0, $1) }" % (size(b[1]), key(b[1]))
    if k == "record":
        return "\n".join("    _store_%s(v.%s, p + %d)" % (key(ft), ident(f), o) for (f, ft), o in zip(b[1], field_offsets(t)))
    if k == "tuple":
        return "\n".join("    _store_%s(v.%d, p + %d)" % (key(x), i, o) for i, (x, o) in enumerate(zip(b[1], field_offsets(t))))
    if k == "flags":
        raw = {1: "UInt8", 2: "UInt16", 4: "UInt32"}[flags_size(len(b[1]))]
        return "    p.storeBytes(of: v.rawValue, as: %s.self)" % raw
    # variant-like: the discriminant, then the payload at its offset
    disc = disc_swift(len(cases_of(t)))
    lines = ["    switch v {"]
    for i, (case, p) in enumerate(cases_of(t)):
        if b[0] == "enum" or p is None or p == ():
            lines.append("    case .%s: p.storeBytes(of: %d, as: %s.self)" % (case, i, disc))
        else:
            lines.append("    case .%s(let x): p.storeBytes(of: %d, as: %s.self); _store_%s(x, p + %d)" % (case, i, disc, key(p), payload_offset(t)))
    lines.append("    }")
    return "\n".join(lines)


def lower(t):
    """Body of `_lower_K(_ v: T, _ w: inout FlatWriter)`."""
    b = body(t)
    k = b[0]
    if k == "bool":
        return "    w.i32(v ? 1 : 0)"
    if k in INT_BITS or k == "s32":
        return "    w.i32(Int32(truncatingIfNeeded: v))"
    if k == "u32":
        return "    w.i32(Int32(bitPattern: v))"
    if k == "s64":
        return "    w.i64(v)"
    if k == "u64":
        return "    w.i64(Int64(bitPattern: v))"
    if k in ("f32", "f64"):
        return "    w.%s(v)" % k
    if k == "char":
        return "    w.i32(Int32(bitPattern: v.value))"
    if k in ("string", "list"):
        return ("    let area = Guest.allocate(8)\n    _store_%s(v, area)\n"
                "    w.i32(area.loadUnaligned(as: Int32.self))\n    w.i32(area.loadUnaligned(fromByteOffset: 4, as: Int32.self))") % key(t)
    if k == "record":
        return "\n".join("    _lower_%s(v.%s, &w)" % (key(ft), ident(f)) for f, ft in b[1])
    if k == "tuple":
        return "\n".join("    _lower_%s(v.%d, &w)" % (key(x), i) for i, x in enumerate(b[1]))
    if k == "flags":
        return "    w.i32(Int32(truncatingIfNeeded: v.rawValue))"
    slots = len(flat(t)) - 1
    lines = ["    let start = w.count + 1", "    switch v {"]
    for i, (case, p) in enumerate(cases_of(t)):
        if b[0] == "enum" or p is None or p == ():
            lines.append("    case .%s: w.i32(%d)" % (case, i))
        else:
            lines.append("    case .%s(let x): w.i32(%d); _lower_%s(x, &w)" % (case, i, key(p)))
    lines += ["    }", "    w.pad(to: start + %d)" % slots]
    return "\n".join(lines)


def functions_for(t):
    K, T = key(t), swift_type(t)
    out = []
    expr = lift(t)
    out.append("func _lift_%s(_ r: inout FlatReader) -> %s {\n%s\n}" % (K, T, "    return " + expr if expr else variant_lift(t)))
    expr = load(t)
    out.append("func _load_%s(_ p: UnsafeRawPointer) -> %s {\n%s\n}" % (K, T, "    return " + expr if expr else variant_load(t)))
    out.append("func _store_%s(_ v: %s, _ p: UnsafeMutableRawPointer) {\n%s\n}" % (K, T, store(t)))
    out.append("func _lower_%s(_ v: %s, _ w: inout FlatWriter) {\n%s\n}" % (K, T, lower(t)))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ exports

def to_raw(core, name):
    return {"i32": "UInt64(UInt32(bitPattern: %s))", "i64": "UInt64(bitPattern: %s)",
            "f32": "UInt64(%s.bitPattern)", "f64": "%s.bitPattern"}[core] % name


def from_raw(core, expr):
    return {"i32": "Int32(bitPattern: UInt32(truncatingIfNeeded: %s))", "i64": "Int64(bitPattern: %s)",
            "f32": "Float(bitPattern: UInt32(truncatingIfNeeded: %s))", "f64": "Double(bitPattern: %s)"}[core] % expr


def export(name, params, result):
    core_params, core_result, params_in_memory, result_in_memory = core_signature(params, result)
    symbol = "__wasm_export_" + name.replace("-", "_")
    args = ", ".join("_ a%d: %s" % (i, CORE_SWIFT[c]) for i, c in enumerate(core_params))
    ret = " -> %s" % CORE_SWIFT[core_result] if core_result else ""
    lines = ['@_expose(wasm, "%s") @_cdecl("%s")' % (name, symbol), "func %s(%s)%s {" % (symbol, args, ret)]
    if params_in_memory:
        offsets = field_offsets(params_tuple(params))
        lines.append("    let base = Guest.pointer(a0)")
        for (pname, pt), o in zip(params, offsets):
            lines.append("    let %s = _load_%s(base + %d)" % (ident(pname), key(pt), o))
    elif params:
        lines.append("    var r = FlatReader([%s])" % ", ".join(to_raw(c, "a%d" % i) for i, c in enumerate(core_params)))
        for pname, pt in params:
            lines.append("    let %s = _lift_%s(&r)" % (ident(pname), key(pt)))
    call = "%s(%s)" % (ident(name), ", ".join("%s: %s" % (ident(p), ident(p)) for p, _ in params))
    if result is None:
        lines.append("    %s" % call)
    elif result_in_memory:
        lines += ["    let result = %s" % call,
                  "    let area = Guest.allocate(%d)" % size(result),
                  "    _store_%s(result, area)" % key(result),
                  "    return Int32(bitPattern: UInt32(UInt(bitPattern: area)))"]
    else:
        lines += ["    var w = FlatWriter()", "    _lower_%s(%s, &w)" % (key(result), call),
                  "    return %s" % from_raw(core_result, "w.values[0]")]
    lines.append("}")
    return "\n".join(lines) + "\n"


def expected_signature(name, params, result):
    args = ", ".join("%s: %s" % (ident(p), swift_type(t)) for p, t in params)
    return "func %s(%s)%s" % (ident(name), args, " -> %s" % swift_type(result) if result is not None else "")


def generate_swift(functions):
    types = all_types(functions)
    parts = [
        "// Generated by support/bindgen.py from wit/ at every build: do not edit.",
        "// Write these functions (any file of the app, e.g. App.swift):",
    ]
    parts += ["//   %s" % expected_signature(*f) for f in functions]
    parts.append("")
    for t in types:
        if t[0] == "named":
            parts.append(declaration(t))
    for t in types:
        parts.append(functions_for(t))
    for f in functions:
        parts.append(export(*f))
    return {"Bindings.swift": "\n".join(parts)}
