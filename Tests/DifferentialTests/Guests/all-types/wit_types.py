"""The WIT types the all-types guest echoes, and the canonical ABI facts about them.

Types are small tuples: ("u8",), ("list", T), ("record", name, [(field, T)]), ("tuple", [T]),
("variant", name, [(case, T or None)]), ("enum", name, [case]), ("option", T),
("result", ok or None, err or None), ("flags", name, [flag]), ("string",). Named types get a
WIT definition in the `types` interface.
"""

PRIMS = ["bool", "u8", "s8", "u16", "s16", "u32", "s32", "u64", "s64", "f32", "f64", "char", "string"]


def P(name):
    return (name,)


POINT = ("record", "point", [("x", P("s32")), ("y", P("f64")), ("label", P("string")), ("tag", ("option", P("u8")))])
SHAPE = ("variant", "shape", [("circle", P("f32")), ("rect", ("tuple", [P("u32"), P("u32")])),
                              ("named", P("string")), ("big", P("u64")), ("empty", None)])
NUM = ("variant", "num", [("i", P("s64")), ("f", P("f64")), ("s", P("f32")), ("small", P("u8"))])
COLOR = ("enum", "color", ["red", "green", "blue"])
PERMS = ("flags", "perms", ["read", "write", "exec"])
TEN = ("flags", "ten", ["t%d" % i for i in range(10)])
WIDE = ("flags", "wide", ["w%d" % i for i in range(32)])  # the current spec caps flags at 32
NESTED = ("record", "nested", [
    ("shapes", ("list", SHAPE)),
    ("lookup", ("list", ("tuple", [P("string"), ("option", COLOR)]))),
    ("perms", PERMS),
    ("inner", ("result", ("list", POINT), ("tuple", [P("char"), P("bool")]))),
    ("deep", ("option", ("option", ("result", None, NUM)))),
])
# 20 flat values: passed to the export through memory (more than 16 flat params).
BIG = ("record", "big", [("f%d" % i, P(["u8", "s16", "u32", "s64", "f32", "f64", "char", "bool"][i % 8]))
                         for i in range(20)])

# (function name, type) for every echo. Names are WIT identifiers.
ECHOES = [(p, P(p)) for p in PRIMS] + [
    ("bytes", ("list", P("u8"))),
    ("strings", ("list", P("string"))),
    ("points", ("list", POINT)),
    ("point", POINT),
    ("triple", ("tuple", [P("u8"), P("string"), P("f32")])),
    ("shape", SHAPE),
    ("num", NUM),
    ("color", COLOR),
    ("perms", PERMS),
    ("ten", TEN),
    ("wide", WIDE),
    ("opt-u32", ("option", P("u32"))),
    ("opt-string", ("option", P("string"))),
    ("opt-opt", ("option", ("option", P("s16")))),
    ("res", ("result", P("string"), P("u32"))),
    ("res-ok", ("result", P("u64"), None)),
    ("res-err", ("result", None, P("string"))),
    ("res-none", ("result", None, None)),
    ("nested", NESTED),
    ("big", BIG),
    ("matrix", ("list", ("list", P("f64")))),
]

# Functions of more than 16 flat parameters (spilled to memory); the result is the tuple of them.
SPILL_PARAMS = [("a%d" % i, P(["u8", "u32", "s64", "f32", "f64", "string", "bool"][i % 7])) for i in range(17)]


def wit(t):
    """The WIT spelling of a type (named types by name)."""
    k = t[0]
    if k in PRIMS:
        return k
    if k in ("record", "variant", "enum", "flags"):
        return t[1]
    if k == "list":
        return "list<%s>" % wit(t[1])
    if k == "tuple":
        return "tuple<%s>" % ", ".join(wit(e) for e in t[1])
    if k == "option":
        return "option<%s>" % wit(t[1])
    if k == "result":
        ok, err = t[1], t[2]
        if ok is None and err is None:
            return "result"
        if err is None:
            return "result<%s>" % wit(ok)
        return "result<%s, %s>" % ("_" if ok is None else wit(ok), wit(err))
    raise ValueError(t)


def named_types(t, out):
    """Collects named type definitions in dependency order."""
    k = t[0]
    children = []
    if k == "record":
        children = [f for _, f in t[2]]
    elif k == "variant":
        children = [c for _, c in t[2] if c is not None]
    elif k in ("list", "option"):
        children = [t[1]]
    elif k == "tuple":
        children = t[1]
    elif k == "result":
        children = [c for c in t[1:] if c is not None]
    for c in children:
        named_types(c, out)
    if k in ("record", "variant", "enum", "flags") and t[1] not in [n[1] for n in out]:
        out.append(t)


def definition(t):
    k, name = t[0], t[1]
    if k == "record":
        body = ", ".join("%s: %s" % (f, wit(ft)) for f, ft in t[2])
    elif k == "variant":
        body = ", ".join(c if ct is None else "%s(%s)" % (c, wit(ct)) for c, ct in t[2])
    else:
        body = ", ".join(t[2])
    return "  %s %s { %s }" % (k, name, body)


# ---- canonical ABI: flattening, sizes, alignment ----

def cases(t):
    """Variant-like types as (case, payload) lists."""
    if t[0] == "variant":
        return t[2]
    if t[0] == "option":
        return [("none", None), ("some", t[1])]
    if t[0] == "result":
        return [("ok", t[1]), ("err", t[2])]
    return None


def disc_size(n):
    return 1 if n <= 256 else 2 if n <= 65536 else 4


def flags_size(n):
    return 1 if n <= 8 else 2 if n <= 16 else 4 * ((n + 31) // 32)


def align_to(x, a):
    return (x + a - 1) // a * a


def alignment(t):
    k = t[0]
    if k in ("bool", "u8", "s8"):
        return 1
    if k in ("u16", "s16"):
        return 2
    if k in ("u32", "s32", "f32", "char", "string", "list"):
        return 4
    if k in ("u64", "s64", "f64"):
        return 8
    if k == "record":
        return max(alignment(f) for _, f in t[2])
    if k == "tuple":
        return max(alignment(e) for e in t[1])
    if k == "enum":
        return disc_size(len(t[2]))
    if k == "flags":
        return min(flags_size(len(t[2])), 4)
    cs = cases(t)
    return max([disc_size(len(cs))] + [alignment(c) for _, c in cs if c is not None])


def fields_of(t):
    return [f for _, f in t[2]] if t[0] == "record" else t[1]


def size(t):
    k = t[0]
    if k in ("bool", "u8", "s8"):
        return 1
    if k in ("u16", "s16"):
        return 2
    if k in ("u32", "s32", "f32", "char"):
        return 4
    if k in ("u64", "s64", "f64", "string", "list"):
        return 8
    if k in ("record", "tuple"):
        s = 0
        for f in fields_of(t):
            s = align_to(s, alignment(f)) + size(f)
        return align_to(s, alignment(t))
    if k == "enum":
        return disc_size(len(t[2]))
    if k == "flags":
        return flags_size(len(t[2]))
    cs = cases(t)
    s = align_to(disc_size(len(cs)), max([1] + [alignment(c) for _, c in cs if c is not None]))
    s += max([0] + [size(c) for _, c in cs if c is not None])
    return align_to(s, alignment(t))


def payload_offset(t):
    cs = cases(t)
    return align_to(disc_size(len(cs)), max([1] + [alignment(c) for _, c in cs if c is not None]))


def join(a, b):
    if a == b:
        return a
    if {a, b} == {"i32", "f32"}:
        return "i32"
    return "i64"


def flat(t):
    k = t[0]
    if k in ("bool", "u8", "s8", "u16", "s16", "u32", "s32", "char", "enum"):
        return ["i32"]
    if k in ("u64", "s64"):
        return ["i64"]
    if k in ("f32", "f64"):
        return [k]
    if k in ("string", "list"):
        return ["i32", "i32"]
    if k in ("record", "tuple"):
        return [v for f in fields_of(t) for v in flat(f)]
    if k == "flags":
        return ["i32"] * max(1, (len(t[2]) + 31) // 32) if len(t[2]) > 32 else ["i32"]
    joined = []
    for _, c in cases(t):
        if c is None:
            continue
        for i, v in enumerate(flat(c)):
            if i < len(joined):
                joined[i] = join(joined[i], v)
            else:
                joined.append(v)
    return ["i32"] + joined
