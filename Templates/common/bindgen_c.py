"""C output of bindgen.py: bindings.h (types and the app_* functions to write) and bindings.c
(the exported entry points and cabi_realloc). The C types have the canonical ABI's memory
layout on wasm32, so lists arrive as plain C arrays and results are returned as they are."""
from wit_model import (PRIMITIVES, body, core_signature, disc_size, flags_size, flat, key, all_types,
                       snake, CORE_C)

C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
    "true", "false",
}

C_PRIMITIVE = {
    "bool": "bool", "s8": "int8_t", "u8": "uint8_t", "s16": "int16_t", "u16": "uint16_t", "s32": "int32_t",
    "u32": "uint32_t", "s64": "int64_t", "u64": "uint64_t", "f32": "float", "f64": "double", "char": "uint32_t",
    "string": "app_string_t",
}


def ident(name):
    text = snake(name)
    return text + "_" if text in C_KEYWORDS else text


def c_type(t):
    if t[0] in PRIMITIVES:
        return C_PRIMITIVE[t[0]]
    return "app_%s_t" % key(t)


def upper(t):
    return "APP_%s" % key(t).upper()


def disc_c(n):
    return {1: "uint8_t", 2: "uint16_t", 4: "uint32_t"}[disc_size(n)]


def typedef(t):
    b, T = body(t), c_type(t)
    k = b[0]
    if k in PRIMITIVES:
        return None
    if k == "list":
        return "typedef struct { %s *ptr; size_t len; } %s;" % (c_type(b[1]), T)
    if k in ("record", "tuple"):
        fields = [(ident(f), ft) for f, ft in b[1]] if k == "record" else [("f%d" % i, x) for i, x in enumerate(b[1])]
        return "typedef struct {\n%s\n} %s;" % ("\n".join("    %s %s;" % (c_type(ft), f) for f, ft in fields), T)
    if k == "option":
        return "typedef struct { bool is_some; %s val; } %s;" % (c_type(b[1]), T)
    if k == "result":
        members = [("ok", b[1]), ("err", b[2])]
        union = " ".join("%s %s;" % (c_type(x), n) for n, x in members if x is not None)
        return "typedef struct { bool is_err;%s } %s;" % (" union { %s } val;" % union if union else "", T)
    if k == "enum":
        lines = ["typedef %s %s;" % (disc_c(len(b[1])), T)]
        lines += ["#define %s_%s %d" % (upper(t), snake(c).upper(), i) for i, c in enumerate(b[1])]
        return "\n".join(lines)
    if k == "flags":
        raw = {1: "uint8_t", 2: "uint16_t", 4: "uint32_t"}[flags_size(len(b[1]))]
        lines = ["typedef %s %s;" % (raw, T)]
        lines += ["#define %s_%s (1u << %d)" % (upper(t), snake(f).upper(), i) for i, f in enumerate(b[1])]
        return "\n".join(lines)
    if k == "variant":
        union = " ".join("%s %s;" % (c_type(p), ident(c)) for c, p in b[1] if p is not None)
        lines = ["typedef struct { %s tag;%s } %s;" % (disc_c(len(b[1])), " union { %s } val;" % union if union else "", T)]
        lines += ["#define %s_%s %d" % (upper(t), snake(c).upper(), i) for i, (c, _) in enumerate(b[1])]
        return "\n".join(lines)
    raise ValueError(k)


def lift(t):
    """Body of `static T lift_K(const uint64_t **f)`."""
    b, T = body(t), c_type(t)
    k = b[0]
    if k == "bool":
        return "    return *(*f)++ != 0;"
    if k in ("s8", "u8", "s16", "u16", "s32", "u32", "char", "enum", "flags"):
        return "    return (%s)(uint32_t)*(*f)++;" % T
    if k in ("s64", "u64"):
        return "    return (%s)*(*f)++;" % T
    if k == "f32":
        return "    return f32_from(*(*f)++);"
    if k == "f64":
        return "    return f64_from(*(*f)++);"
    if k in ("string", "list"):
        element = "uint8_t" if k == "string" else c_type(b[1])
        return ("    %s v;\n    v.ptr = (%s *)(uintptr_t)(uint32_t)*(*f)++;\n    v.len = (uint32_t)*(*f)++;\n    return v;" % (T, element))
    if k in ("record", "tuple"):
        fields = [(ident(f), ft) for f, ft in b[1]] if k == "record" else [("f%d" % i, x) for i, x in enumerate(b[1])]
        return "    %s v;\n%s\n    return v;" % (T, "\n".join("    v.%s = lift_%s(f);" % (n, key(ft)) for n, ft in fields))
    slots = len(flat(t)) - 1
    lines = ["    %s v;" % T, "    uint32_t d = (uint32_t)*(*f)++;", "    const uint64_t *start = *f;"]
    if k == "option":
        lines += ["    v.is_some = d != 0;", "    if (v.is_some) v.val = lift_%s(f);" % key(b[1])]
    elif k == "result":
        lines.append("    v.is_err = d != 0;")
        if b[1] is not None:
            lines.append("    if (!v.is_err) v.val.ok = lift_%s(f);" % key(b[1]))
        if b[2] is not None:
            lines.append("    if (v.is_err) v.val.err = lift_%s(f);" % key(b[2]))
    else:
        lines.append("    v.tag = (%s)d;" % disc_c(len(b[1])))
        for i, (c, p) in enumerate(b[1]):
            if p is not None:
                lines.append("    if (d == %d) v.val.%s = lift_%s(f);" % (i, ident(c), key(p)))
    lines += ["    *f = start + %d;" % slots, "    return v;"]
    return "\n".join(lines)


def lower(t):
    """Body of `static void lower_K(T v, uint64_t **w)`."""
    b = body(t)
    k = b[0]
    if k == "bool":
        return "    *(*w)++ = v ? 1 : 0;"
    if k in ("s8", "s16", "s32"):
        return "    *(*w)++ = (uint32_t)(int32_t)v;"
    if k in ("u8", "u16", "u32", "char", "enum", "flags"):
        return "    *(*w)++ = (uint32_t)v;"
    if k in ("s64", "u64"):
        return "    *(*w)++ = (uint64_t)v;"
    if k in ("f32", "f64"):
        return "    *(*w)++ = %s_bits(v);" % k
    if k in ("string", "list"):
        return "    *(*w)++ = (uint32_t)(uintptr_t)v.ptr;\n    *(*w)++ = (uint32_t)v.len;"
    if k in ("record", "tuple"):
        fields = [(ident(f), ft) for f, ft in b[1]] if k == "record" else [("f%d" % i, x) for i, x in enumerate(b[1])]
        return "\n".join("    lower_%s(v.%s, w);" % (key(ft), n) for n, ft in fields)
    slots = len(flat(t)) - 1
    lines = []
    if k == "option":
        lines += ["    *(*w)++ = v.is_some;", "    uint64_t *start = *w;", "    if (v.is_some) lower_%s(v.val, w);" % key(b[1])]
    elif k == "result":
        lines += ["    *(*w)++ = v.is_err;", "    uint64_t *start = *w;"]
        if b[1] is not None:
            lines.append("    if (!v.is_err) lower_%s(v.val.ok, w);" % key(b[1]))
        if b[2] is not None:
            lines.append("    if (v.is_err) lower_%s(v.val.err, w);" % key(b[2]))
    else:
        lines += ["    *(*w)++ = v.tag;", "    uint64_t *start = *w;"]
        for i, (c, p) in enumerate(b[1]):
            if p is not None:
                lines.append("    if (v.tag == %d) lower_%s(v.val.%s, w);" % (i, key(p), ident(c)))
    lines.append("    while (*w < start + %d) *(*w)++ = 0;" % slots)
    return "\n".join(lines)


def to_raw(core, name):
    return {"i32": "(uint64_t)(uint32_t)%s", "i64": "(uint64_t)%s", "f32": "f32_bits(%s)", "f64": "f64_bits(%s)"}[core] % name


def from_raw(core, expr):
    return {"i32": "(int32_t)(uint32_t)%s", "i64": "(int64_t)%s", "f32": "f32_from(%s)", "f64": "f64_from(%s)"}[core] % expr


def prototype(name, params, result):
    args = ", ".join("%s %s" % (c_type(t), ident(p)) for p, t in params) or "void"
    return "%s app_%s(%s)" % (c_type(result) if result is not None else "void", ident(name), args)


def export(name, params, result):
    core_params, core_result, params_in_memory, result_in_memory = core_signature(params, result)
    symbol = "__wasm_export_" + snake(name)
    args = ", ".join("%s a%d" % (CORE_C[c], i) for i, c in enumerate(core_params)) or "void"
    lines = []
    if params_in_memory:
        fields = "\n".join("    %s %s;" % (c_type(t), ident(p)) for p, t in params)
        lines += ["typedef struct {\n%s\n} params_%s_t;" % (fields, snake(name)), ""]
    lines += ['__attribute__((export_name("%s")))' % name,
              "%s %s(%s) {" % (CORE_C[core_result] if core_result else "void", symbol, args)]
    if params_in_memory:
        lines.append("    const params_%s_t *p = (const params_%s_t *)(uintptr_t)(uint32_t)a0;" % (snake(name), snake(name)))
        call_args = ", ".join("p->%s" % ident(p) for p, _ in params)
    else:
        if params:
            lines.append("    uint64_t flat[%d] = {%s};" % (len(core_params), ", ".join(to_raw(c, "a%d" % i) for i, c in enumerate(core_params))))
            lines.append("    const uint64_t *f = flat;")
        for p, t in params:
            lines.append("    %s %s = lift_%s(&f);" % (c_type(t), ident(p), key(t)))
        call_args = ", ".join(ident(p) for p, _ in params)
    call = "app_%s(%s)" % (ident(name), call_args)
    if result is None:
        lines.append("    %s;" % call)
    elif result_in_memory:
        lines += ["    static %s ret;" % c_type(result), "    ret = %s;" % call, "    return (int32_t)(uintptr_t)&ret;"]
    else:
        lines += ["    uint64_t out[1] = {0};", "    uint64_t *w = out;", "    lower_%s(%s, &w);" % (key(result), call),
                  "    return %s;" % from_raw(core_result, "out[0]")]
    lines.append("}")
    return "\n".join(lines)


HEADER_TOP = """// Generated by support/bindgen.py from wit/ at every build: do not edit.
// Types have the canonical ABI's layout on wasm32; strings are UTF-8, not NUL-terminated.
// Memory you return (strings, lists) must come from malloc; every call runs in a fresh
// instance, so nothing needs freeing.
#ifndef APP_BINDINGS_H
#define APP_BINDINGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct { uint8_t *ptr; size_t len; } app_string_t;

/// A string holding a copy of the NUL-terminated `text` (malloc'd).
app_string_t app_string_from(const char *text);
/// A string holding a copy of `len` bytes at `bytes` (malloc'd).
app_string_t app_string_copy(const void *bytes, size_t len);
"""

SOURCE_TOP = """// Generated by support/bindgen.py from wit/ at every build: do not edit.
#include <stdlib.h>
#include <string.h>
#include "bindings.h"

// The canonical ABI's allocator: the host places string and list arguments with it.
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
    (void)old_size;
    if (new_size == 0) return (void *)align;  // any aligned, non-null address
    void *p = realloc(old, new_size);          // malloc aligns to 16: enough for every WIT type
    if (!p) abort();
    return p;
}

app_string_t app_string_copy(const void *bytes, size_t len) {
    app_string_t s = { malloc(len ? len : 1), len };
    if (!s.ptr) abort();
    if (len) memcpy(s.ptr, bytes, len);
    return s;
}

app_string_t app_string_from(const char *text) { return app_string_copy(text, strlen(text)); }

static inline __attribute__((unused)) float f32_from(uint64_t raw) { uint32_t bits = (uint32_t)raw; float v; memcpy(&v, &bits, 4); return v; }
static inline __attribute__((unused)) double f64_from(uint64_t raw) { double v; memcpy(&v, &raw, 8); return v; }
static inline __attribute__((unused)) uint64_t f32_bits(float v) { uint32_t bits; memcpy(&bits, &v, 4); return bits; }
static inline __attribute__((unused)) uint64_t f64_bits(double v) { uint64_t bits; memcpy(&bits, &v, 8); return bits; }
"""


def generate_c(functions):
    types = all_types(functions)
    header = [HEADER_TOP]
    for t in types:
        text = typedef(t)
        if text:
            header.append(text + "\n")
    header.append("// Write these functions (e.g. in app.c); the exported entry points call them.")
    header += ["%s;" % prototype(*f) for f in functions]
    header.append("\n#endif\n")
    source = [SOURCE_TOP]
    for t in types:
        K, T = key(t), c_type(t)
        source.append("static __attribute__((unused)) %s lift_%s(const uint64_t **f) {\n%s\n}" % (T, K, lift(t)))
        source.append("static __attribute__((unused)) void lower_%s(%s v, uint64_t **w) {\n%s\n}\n" % (K, T, lower(t)))
    for f in functions:
        source.append(export(*f) + "\n")
    return {"bindings.h": "\n".join(header), "bindings.c": "\n".join(source)}
