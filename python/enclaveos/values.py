"""Plain Python values ⇄ typed JSON values, by the WIT type descriptors of `wasm_schema`
(`{"kind":"u32"}`, `{"kind":"list","element":…}`, …).

A call's arguments are written as `{"type": TAG, "value": V}` with V in the forms the server
decodes: records as dicts, tuples as lists, variants as `{"case", "value"}`, options as None or
the value, results as `{"ok": v}` / `{"err": v}`, flags as a list or set of names, `list<u8>` from
bytes (sent as base64).
"""
import base64

INTEGER_RANGES = {
    "u8": (0, 2**8 - 1), "u16": (0, 2**16 - 1), "u32": (0, 2**32 - 1), "u64": (0, 2**64 - 1),
    "s8": (-2**7, 2**7 - 1), "s16": (-2**15, 2**15 - 1), "s32": (-2**31, 2**31 - 1), "s64": (-2**63, 2**63 - 1),
}


def _tag(kind, type_):
    if kind == "list" and (type_.get("element") or {}).get("kind") == "u8":
        return "bytes"
    return kind


def typed_value(value, type_, where="value"):
    """`value` as the typed JSON of WIT type `type_`; ValueError names what does not fit."""
    kind = type_.get("kind")
    return {"type": _tag(kind, type_), "value": _bare(value, type_, where)}


def _bare(value, type_, where):
    kind = type_.get("kind")

    def fail(what):
        return ValueError("%s: expected %s, %s" % (where, describe(type_), what))

    if kind == "bool":
        if not isinstance(value, bool):
            raise fail("got %r" % (value,))
        return value
    if kind in INTEGER_RANGES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("got %r" % (value,))
        low, high = INTEGER_RANGES[kind]
        if not low <= value <= high:
            raise fail("%d is out of range" % value)
        return value
    if kind in ("f32", "f64"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("got %r" % (value,))
        return float(value)
    if kind == "char":
        if not isinstance(value, str) or len(value) != 1:
            raise fail("got %r" % (value,))
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise fail("got %r" % (value,))
        return value
    if kind == "list":
        element = type_["element"]
        if element.get("kind") == "u8" and isinstance(value, (bytes, bytearray)):
            return base64.b64encode(bytes(value)).decode()
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
            raise fail("got %r" % (value,))
        return [_bare(item, element, "%s[%d]" % (where, i)) for i, item in enumerate(value)]
    if kind == "tuple":
        elements = type_["elements"]
        if not isinstance(value, (list, tuple)) or len(value) != len(elements):
            raise fail("got %r" % (value,))
        return [_bare(item, t, "%s[%d]" % (where, i)) for i, (item, t) in enumerate(zip(value, elements))]
    if kind == "record":
        fields = type_["fields"]
        if not isinstance(value, dict):
            raise fail("got %r" % (value,))
        unknown = set(value) - {f["name"] for f in fields}
        if unknown:
            raise fail("got unknown field %r" % sorted(unknown)[0])
        out = {}
        for field in fields:
            if field["name"] not in value:
                if field["type"].get("kind") == "option":
                    out[field["name"]] = None
                    continue
                raise fail("missing field %r" % field["name"])
            out[field["name"]] = _bare(value[field["name"]], field["type"], "%s.%s" % (where, field["name"]))
        return out
    if kind == "option":
        return None if value is None else _bare(value, type_["inner"], where + "?")
    if kind == "enum":
        if value not in type_["names"]:
            raise fail("got %r" % (value,))
        return value
    if kind == "flags":
        names = set(value) if not isinstance(value, str) else None
        if names is None or not names <= set(type_["names"]):
            raise fail("got %r" % (value,))
        return [n for n in type_["names"] if n in names]
    if kind == "variant":
        case, payload = (value, None) if isinstance(value, str) else _case(value, fail)
        match = next((c for c in type_["cases"] if c["name"] == case), None)
        if match is None:
            raise fail("unknown case %r" % (case,))
        inner = None if match.get("type") is None else _bare(payload, match["type"], "%s(%s)" % (where, case))
        return {"case": case, "value": inner}
    if kind == "result":
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("ok", "err"):
            raise fail("got %r (use {'ok': v} or {'err': v})" % (value,))
        side, payload = next(iter(value.items()))
        inner_type = type_.get(side)
        return {side: None if inner_type is None else _bare(payload, inner_type, "%s.%s" % (where, side))}
    raise fail("this client cannot write a %s" % kind)


def _case(value, fail):
    if isinstance(value, dict) and "case" in value:
        return value["case"], value.get("value")
    if isinstance(value, (list, tuple)) and 1 <= len(value) <= 2:
        return value[0], value[1] if len(value) == 2 else None
    raise fail("got %r (use {'case': name, 'value': v})" % (value,))


def plain_value(typed):
    """A typed JSON value (`{"type","value"}`, nested values typed too) as plain Python."""
    if not (isinstance(typed, dict) and set(typed) == {"type", "value"}):
        return typed
    tag, value = typed["type"], typed["value"]
    if tag in ("list", "tuple"):
        return [plain_value(v) for v in value]
    if tag == "bytes":
        return bytes(value) if isinstance(value, list) else base64.b64decode(value)
    if tag == "record":
        return {k: plain_value(v) for k, v in value.items()}
    if tag == "option":
        return None if value is None else plain_value(value)
    if tag == "variant":
        return {"case": value["case"], "value": plain_value(value.get("value"))}
    if tag == "result":
        return {k: plain_value(v) for k, v in value.items()}
    return value


def describe(type_):
    """A type descriptor in WIT syntax, for messages."""
    kind = type_.get("kind")
    if kind == "list":
        return "list<%s>" % describe(type_["element"])
    if kind == "option":
        return "option<%s>" % describe(type_["inner"])
    if kind == "tuple":
        return "tuple<%s>" % ", ".join(describe(t) for t in type_["elements"])
    if kind == "result":
        return "result<%s, %s>" % tuple(describe(type_[s]) if type_.get(s) else "_" for s in ("ok", "err"))
    return type_.get("name") or kind
