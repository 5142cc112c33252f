#!/usr/bin/env python3
"""Compat-protocol acceptance test for an EnclaveOS server, standard library only.

Talks to the server exactly like the original system's Python clients: TLS (no certificate
verification), 4-byte big-endian length frames, the outer envelope serialised with
`json.dumps` default separators, and byte payloads as integer arrays. Loads the test guest
as `compat-app` and checks the wire behaviour docs/protocol.md fixes.

Usage: compat_client.py [HOST [PORT]] [--wasm PATH]
Prints one line per check and finally `N passed, M failed`; exits 1 on any failure.
"""
import argparse
import hashlib
import json
import os
import socket
import ssl
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_WASM = os.path.join(HERE, "..", "Guests", "test-guest", "test-guest.wasm")
APP = "compat-app"
MAX_FRAME = 16 * 1024 * 1024


class Connection:
    """One TLS connection speaking length-prefixed JSON frames."""

    def __init__(self, host, port, timeout=60.0):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # RA-TLS certificates are self-signed
        raw = socket.create_connection((host, port), timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname=None)
        self.version = self.sock.version()
        self.cipher = self.sock.cipher()[0]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)

    def recv_exact(self, n):
        """Reads exactly n bytes, however the stream is split; None on EOF."""
        chunks = []
        while n > 0:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def recv_frame(self):
        header = self.recv_exact(4)
        if header is None:
            return None
        (length,) = struct.unpack(">I", header)
        if length > MAX_FRAME:
            raise ValueError(f"server sent a {length}-byte frame")
        return self.recv_exact(length)

    def request(self, envelope):
        """Sends an outer envelope (a JSON value) and returns the decoded outer response."""
        self.send_frame(json.dumps(envelope).encode())
        payload = self.recv_frame()
        if payload is None:
            raise ConnectionError("server closed the connection")
        return json.loads(payload)

    def data(self, inner_bytes):
        """Sends `{"Data":[…]}` and returns the inner response bytes (or raises on Error)."""
        response = self.request({"Data": list(inner_bytes)})
        if isinstance(response, dict) and "Data" in response:
            return bytes(response["Data"])
        if isinstance(response, dict) and "Error" in response:
            raise RuntimeError("Error: " + bytes(response["Error"]).decode("utf-8", "replace"))
        raise RuntimeError(f"unexpected response {response!r}")

    def manage(self, message):
        return json.loads(self.data(json.dumps(message).encode()))

    def call(self, function, params, app=APP):
        return self.manage({"wasm_call": {"app": app, "function": function, "params": params}})


def error_text(response):
    """The message of an outer `{"Error":[…]}` response, else None."""
    if isinstance(response, dict) and set(response) == {"Error"}:
        return bytes(response["Error"]).decode("utf-8", "replace")
    return None


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}")
        sys.stdout.flush()
        return ok

    def run(self, name, func):
        """Runs func() -> (ok, detail); an exception is a failure, not a crash."""
        try:
            ok, detail = func()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            ok, detail = False, f"{type(e).__name__}: {e}"
        return self.check(name, ok, detail)


def expect_equal(got, expected):
    return got == expected, f"got {got!r}, expected {expected!r}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host", nargs="?", default="127.0.0.1")
    parser.add_argument("port", nargs="?", type=int, default=8443)
    parser.add_argument("--wasm", default=DEFAULT_WASM)
    args = parser.parse_args()

    with open(args.wasm, "rb") as f:
        wasm = f.read()
    wasm_hash = hashlib.sha256(wasm).hexdigest()
    c = Checks()

    try:
        conn = Connection(args.host, args.port)
    except OSError as e:
        c.check(f"connect to {args.host}:{args.port}", False, str(e))
        print(f"{c.passed} passed, {c.failed} failed")
        return 1
    c.check(f"connect over {conn.version} ({conn.cipher})", conn.version == "TLSv1.3", f"negotiated {conn.version}")

    c.run('"Ping" -> "Pong"', lambda: expect_equal(conn.request("Ping"), "Pong"))
    c.run("Data hello -> world", lambda: expect_equal(conn.data(b"hello"), b"world"))

    # Start clean if a previous run left the app behind.
    conn.manage({"wasm_unload": {"name": APP}})

    loaded = {}

    def load():
        response = conn.manage({"wasm_load": {"name": APP, "bytes": list(wasm)}})
        loaded.update(response)
        return response.get("status") == "loaded", f"got {response!r}"

    if not c.run(f"load {os.path.basename(args.wasm)} as {APP}", load):
        print(f"{c.passed} passed, {c.failed} failed")
        return 1
    app = loaded.get("app", {})
    c.run("load response shape", lambda: expect_equal(
        sorted(app), sorted(["name", "hostname", "code_hash", "key_source", "exports"])))
    c.run("name and default hostname", lambda: expect_equal((app.get("name"), app.get("hostname")), (APP, APP)))
    c.run("code_hash == sha256(file)", lambda: expect_equal(app.get("code_hash"), wasm_hash))
    c.run("key_source generated", lambda: expect_equal(app.get("key_source"), "generated"))
    exports = app.get("exports", [])
    names = [e.get("name") for e in exports]
    c.run("exports sorted by name", lambda: (names == sorted(names) and len(names) > 0, f"got {names}"))
    by_name = {e.get("name"): (e.get("param_count"), e.get("result_count")) for e in exports}
    c.run("export counts (add 2->1, greet 1->1, concat 2->1, crash 0->0, hello 0->1)", lambda: expect_equal(
        [by_name.get(n) for n in ["add", "greet", "concat", "crash", "hello"]],
        [(2, 1), (1, 1), (2, 1), (0, 0), (0, 1)]))

    calls = [
        ("hello", [], [{"type": "string", "value": "Hello, World!"}]),
        ("add", [{"type": "u32", "value": 2}, {"type": "u32", "value": 3}], [{"type": "u32", "value": 5}]),
        ("add", [{"type": "u32", "value": 4294967295}, {"type": "u32", "value": 2}], [{"type": "u32", "value": 1}]),
        ("negate", [{"type": "s64", "value": 42}], [{"type": "s64", "value": -42}]),
        ("greet", [{"type": "string", "value": "compat"}], [{"type": "string", "value": "Hello, compat!"}]),
        ("greet", [{"type": "string", "value": "日本"}], [{"type": "string", "value": "Hello, 日本!"}]),
        ("concat", [{"type": "string", "value": "foo"}, {"type": "string", "value": "bar"}],
         [{"type": "string", "value": "foobar"}]),
        ("count-bytes", [{"type": "string", "value": "héllo"}], [{"type": "u32", "value": 6}]),
        ("is-even", [{"type": "u32", "value": 7}], [{"type": "bool", "value": False}]),
        ("scale", [{"type": "f64", "value": 1.5}, {"type": "f32", "value": 2.0}], [{"type": "f64", "value": 3.0}]),
        ("fib", [{"type": "u32", "value": 90}], [{"type": "u64", "value": 2880067194370816120}]),
        ("echo-s16", [{"type": "s16", "value": -32768}], [{"type": "s16", "value": -32768}]),
        ("echo-char", [{"type": "char", "value": "é"}], [{"type": "char", "value": "é"}]),
    ]
    for function, params, returns in calls:
        shown = ", ".join(json.dumps(p["value"], ensure_ascii=False) for p in params)
        c.run(f"call {function}({shown})", lambda f=function, p=params, r=returns: expect_equal(
            conn.call(f, p), {"status": "ok", "returns": r}))

    c.run("unknown app", lambda: expect_equal(
        conn.call("hello", [], app="no-such-app"), {"status": "error", "message": "unknown app: 'no-such-app'"}))
    available = ", ".join(names)
    c.run("unknown export", lambda: expect_equal(
        conn.call("nope", []),
        {"status": "error", "message": f"app '{APP}' has no export 'nope'. Available: [{available}]"}))

    def bad_param(params, must_contain):
        response = conn.call("add", params)
        message = response.get("message", "")
        ok = (response.get("status") == "error" and message.startswith("call failed: ")
              and all(word in message for word in must_contain))
        return ok, f"got {response!r}"

    c.run("bad param type names the WIT type", lambda: bad_param(
        [{"type": "string", "value": "x"}, {"type": "u32", "value": 1}], ["u32"]))
    c.run("out-of-range u32 rejected", lambda: bad_param(
        [{"type": "u32", "value": 4294967296}, {"type": "u32", "value": 1}], ["u32"]))
    c.run("wrong param count rejected", lambda: bad_param([{"type": "u32", "value": 1}], []))

    c.run("spin -> call failed: out of fuel", lambda: expect_equal(
        conn.call("spin", []), {"status": "error", "message": "call failed: out of fuel"}))
    c.run("server answers after out of fuel", lambda: expect_equal(
        conn.call("add", [{"type": "u32", "value": 1}, {"type": "u32", "value": 1}]),
        {"status": "ok", "returns": [{"type": "u32", "value": 2}]}))

    def crash():
        response = conn.call("crash", [])
        ok = response.get("status") == "error" and response.get("message", "").startswith("call failed: ")
        return ok, f"got {response!r}"

    c.run("crash -> call failed: <trap>", crash)
    c.run("Ping after trap", lambda: expect_equal(conn.request("Ping"), "Pong"))

    def load_again():
        # The original's text comes first, unchanged; this server then says how to upgrade.
        response = conn.manage({"wasm_load": {"name": APP, "bytes": list(wasm)}})
        message = response.get("message", "")
        ok = (response.get("status") == "error" and message.startswith(f"app '{APP}' is already loaded")
              and '"replace": true' in message)
        return ok, f"got {response!r}"

    c.run("load same name again", load_again)
    c.run("encryption_key bad hex", lambda: expect_equal(
        conn.manage({"wasm_load": {"name": "compat-key", "bytes": list(wasm), "encryption_key": "zz"}}),
        {"status": "error", "message": "encryption_key: invalid hex encoding"}))
    c.run("encryption_key wrong length", lambda: expect_equal(
        conn.manage({"wasm_load": {"name": "compat-key", "bytes": list(wasm), "encryption_key": "00112233"}}),
        {"status": "error", "message": "encryption_key: expected 32 bytes, got 4"}))

    def listed():
        response = conn.manage({"wasm_list": {}})
        apps = response.get("apps", [])
        mine = [a for a in apps if a.get("name") == APP]
        app_names = [a.get("name") for a in apps]
        ok = (response.get("status") == "apps" and len(mine) == 1 and mine[0] == app
              and app_names == sorted(app_names))
        return ok, f"got {response!r}"

    conn.manage({"wasm_unload": {"name": "compat-key"}})  # in case a bad key was accepted
    c.run("list contains the app as loaded", listed)
    c.run("unload", lambda: expect_equal(
        conn.manage({"wasm_unload": {"name": APP}}), {"status": "unloaded", "name": APP}))
    c.run("unload again -> not_found", lambda: expect_equal(
        conn.manage({"wasm_unload": {"name": APP}}), {"status": "not_found", "name": APP}))
    c.run("call after unload -> unknown app", lambda: expect_equal(
        conn.call("hello", []), {"status": "error", "message": f"unknown app: '{APP}'"}))

    def garbage():
        conn.send_frame(b"this is not json{")
        payload = conn.recv_frame()
        return expect_equal(error_text(json.loads(payload)) if payload else None, "invalid JSON request")

    c.run("garbage frame -> invalid JSON request", garbage)
    c.run("connection still usable after garbage", lambda: expect_equal(conn.request("Ping"), "Pong"))
    conn.close()

    def oversize():
        other = Connection(args.host, args.port, timeout=10.0)
        try:
            other.sock.sendall(struct.pack(">I", MAX_FRAME + 1))
            payload = other.recv_frame()
            message = error_text(json.loads(payload)) if payload else None
            if message is None:
                return False, f"expected an Error response, got {payload!r}"
            try:
                closed = other.recv_exact(1) is None
            except (ssl.SSLError, ConnectionError):
                closed = True  # a reset is a close too
            except socket.timeout:
                closed = False
            return closed, f"got Error {message!r} but the connection stayed open"
        finally:
            other.close()

    c.run("oversize frame length -> Error, then close", oversize)

    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
