#!/usr/bin/env python3
"""Replays the original's HTTP-era integration test against a running EnclaveOS server.

Since 2026-03-13 the original speaks HTTP/1.1 over RA-TLS, and the HEAD version of its reference
app's `tests/test_wasm_functions.py` drives it that way. This script sends exactly the requests that
test sends (one TLS connection, `POST /data` with the same request line, the same headers in the
same order and the same JSON bodies built the same way: `json.dumps` of the same dicts, the app as
an integer array), and reads the answers exactly as it does: the status line, `Content-Length`,
anything but 200 is a failure, `json.loads` of the body, `returns[0].value`. It then applies that
test's checks to its six reference-app tests (hello, get-random, get-time, kv-store, kv-read,
fetch-headlines). Those six are the ones our reference app can pass: the original's later tests
call functions (`analyse-data`, `auth-hello`) and load options (`permissions`) of its own app. Its
`wasm_schema` and `mcp_tools` requests are replayed too, and their answers parsed as that test
parses them (`r.get("schema", r)["functions"]`, `r.get("manifest", r)["tools"][i]["inputSchema"]`).

Standard library only. Exits 0 only if every check passes and prints `ALL 6 TESTS PASSED`.

Usage: python3 tests/http_era_replay.py [APP.wasm] [--host H] [--port P] [--token T]
"""
import argparse
import json
import os
import socket
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_APP = os.path.join(HERE, "..", "Guests", "wasm-app-example", "wasm-app-example.wasm")
APP_NAME = "test-app"


class Replay:
    def __init__(self, host, port, token):
        self.host, self.port, self.token = host, port, token
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.tls = context.wrap_socket(socket.create_connection((host, port), timeout=120), server_hostname=host)
        self.sent = []

    def http_post(self, path, body):
        """The original's request bytes, and its reading of the answer."""
        request = f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        request += f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n"
        if self.token:
            request += f"Authorization: Bearer {self.token}\r\n"
        request += "\r\n"
        self.tls.sendall(request.encode() + body)
        self.sent.append(request.splitlines()[0])
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.tls.recv(16384)
            if not chunk:
                raise ConnectionError("Connection closed reading headers")
            buf += chunk
        header_end = buf.index(b"\r\n\r\n")
        header_part = buf[:header_end].decode()
        body_so_far = buf[header_end + 4:]
        status_code = int(header_part.split("\r\n")[0].split()[1])
        content_length = 0
        for line in header_part.split("\r\n")[1:]:
            if line.lower().startswith("content-length:"):
                content_length = int(line.split(":", 1)[1].strip())
        while len(body_so_far) < content_length:
            chunk = self.tls.recv(65536)
            if not chunk:
                break
            body_so_far += chunk
        if status_code != 200:
            raise RuntimeError(f"HTTP {status_code}: {body_so_far.decode(errors='replace')}")
        return body_so_far[:content_length]

    def send_data(self, payload):
        resp = self.http_post("/data", payload)
        try:
            return json.loads(resp)
        except json.JSONDecodeError:
            return {"raw": resp.decode(errors="replace")}

    def wasm_load(self, name, path):
        with open(path, "rb") as f:
            wasm_bytes = list(f.read())
        return self.send_data(json.dumps({"wasm_load": {"name": name, "bytes": wasm_bytes}}).encode())

    def wasm_call(self, function, params=None):
        payload = {"wasm_call": {"app": APP_NAME, "function": function, "params": params or []}}
        return self.send_data(json.dumps(payload).encode())

    def connect_call(self, function, body):
        return self.send_data(json.dumps({"connect_call": {"app": APP_NAME, "function": function, "body": body}}).encode())

    def wasm_schema(self):
        return self.send_data(json.dumps({"wasm_schema": {"app": APP_NAME}}).encode())

    def mcp_tools(self):
        return self.send_data(json.dumps({"mcp_tools": {"app": APP_NAME}}).encode())


def value(result):
    """The original's extract_return_value."""
    if isinstance(result, dict) and result.get("status") == "ok":
        returns = result.get("returns", [])
        if returns and isinstance(returns, list):
            return returns[0].get("value")
    return None


def reference_tests(r):
    """The original's six reference-app tests and their checks."""
    def hello():
        val = value(r.wasm_call("hello"))
        return val == "Hello, World!", val

    def get_random():
        val = value(r.wasm_call("get-random"))
        return isinstance(val, int) and 1 <= val <= 100, val

    def get_time():
        val = value(r.wasm_call("get-time"))
        ok = isinstance(val, str) and "." in val and 1_704_067_200 < float(val.split(".")[0]) < 1_893_456_000
        return ok, val

    def kv_store():
        val = value(r.wasm_call("kv-store", [{"type": "string", "value": "greeting"},
                                             {"type": "string", "value": "Hello from WASM in SGX!"}]))
        return val == "stored: greeting", val

    def kv_read():
        val = value(r.wasm_call("kv-read", [{"type": "string", "value": "greeting"}]))
        return val == "Hello from WASM in SGX!", val

    def fetch_headlines():
        val = value(r.wasm_call("fetch-headlines"))
        lines = [l for l in (val or "").strip().split("\n") if l.strip()]
        return len(lines) >= 2 and lines[0].startswith("1."), f"{len(lines)} headlines"

    return [("hello", hello), ("get-random", get_random), ("get-time", get_time), ("kv-store", kv_store),
            ("kv-read", kv_read), ("fetch-headlines", fetch_headlines)]


def shape_checks(r):
    """The original's later requests on our reference app: answers parse as that test parses them."""
    def schema():
        res = r.wasm_schema()
        funcs = res.get("schema", res).get("functions", [])
        names = [f.get("name") for f in funcs]
        kv = next((f for f in funcs if f.get("name") == "kv-store"), {})
        kinds = [p["type"]["kind"] for p in kv.get("params", [])]
        return len(names) == 6 and "hello" in names and kinds == ["string", "string"], f"{len(names)} functions"

    def mcp():
        res = r.mcp_tools()
        tools = res.get("manifest", res).get("tools", [])
        kv = next((t for t in tools if t["name"] == "kv-store"), {})
        props = kv.get("inputSchema", {}).get("properties", {})
        return len(tools) == 6 and set(props) == {"key", "value"}, f"{len(tools)} tools"

    def named():
        val = value(r.connect_call("kv-read", {"key": "greeting"}))
        return val == "Hello from WASM in SGX!", val

    return [("wasm_schema", schema), ("mcp_tools", mcp), ("connect_call", named)]


def run(checks, r):
    failed = 0
    for index, (name, check) in enumerate(checks, 1):
        try:
            ok, detail = check()
        except Exception as error:  # the original counts an exception as a failure
            ok, detail = False, f"Exception: {error}"
        failed += 0 if ok else 1
        print(f"  {index:>3}  {name:<18} {'PASS' if ok else 'FAIL'}  {str(detail)[:60]}")
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", nargs="?", default=DEFAULT_APP)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--token", default=os.environ.get("ENCLAVE_AUTH_TOKEN", ""))
    args = parser.parse_args()
    r = Replay(args.host, args.port, args.token)
    print(f"  Connected: {r.tls.version()}, {r.tls.cipher()[0]}")
    loaded = r.wasm_load(APP_NAME, args.app)
    if "error" in loaded or loaded.get("status") != "loaded":
        print(f"  [FAIL] Load failed: {loaded}")
        return 1
    print(f"  Loaded {APP_NAME}: code_hash {loaded['app']['code_hash']}")
    failed = run(reference_tests(r), r)
    print("  the original's later requests, answered in its shapes:")
    shapes_failed = run(shape_checks(r), r)
    print(f"  {len(r.sent)} requests replayed: {', '.join(sorted(set(r.sent)))}")
    if failed == 0:
        print("  Result: ALL 6 TESTS PASSED")
    else:
        print(f"  Result: {failed}/6 TESTS FAILED")
    return 0 if failed == 0 and shapes_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
