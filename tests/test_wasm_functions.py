#!/usr/bin/env python3
"""EnclaveOS WASM integration test: the reference app's six functions against a running server.

Behaves like the original system's `tests/test_wasm_functions.py` (Python standard library only):
connects over TLS to 127.0.0.1:8443, loads the app as `test-app` with the compat envelope
(`{"Data": [bytes of the inner JSON]}`, app bytes as an integer array), calls hello, get-random,
get-time, kv-store, kv-read and fetch-headlines, prints a numbered report and
`ALL 6 TESTS PASSED`. Exits 0 only if all six pass.

Usage:
    python3 tests/test_wasm_functions.py [APP.wasm] [--host H] [--port P]

APP.wasm defaults to Guests/wasm-app-example/wasm-app-example.wasm. The server's certificate is
not verified here (RA-TLS certificates are self-signed; check them with `enclave verify`).
fetch-headlines needs the server to reach https://www.lemonde.fr: the internet, or a local
stand-in through `enclave-os --egress-resolve … --egress-ca-bundle …` (see README).
"""
import argparse
import json
import os
import re
import socket
import ssl
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_APP = os.path.join(HERE, "..", "Guests", "wasm-app-example", "wasm-app-example.wasm")
APP_NAME = "test-app"
MAX_FRAME = 16 * 1024 * 1024
RULE = "=" * 64
LINE = "-" * 60
KV_KEY = "greeting"
KV_VALUE = "Hello from WASM in SGX!"


class Connection:
    """One TLS connection exchanging 4-byte big-endian length-prefixed JSON frames."""

    def __init__(self, host, port, timeout):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = context.wrap_socket(socket.create_connection((host, port), timeout=timeout))

    def describe(self):
        return f"{self.sock.version()}, {self.sock.cipher()[0]}"

    def _recv_exact(self, count):
        chunks = []
        while count > 0:
            chunk = self.sock.recv(min(count, 1 << 20))
            if not chunk:
                raise ConnectionError("server closed the connection")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def manage(self, message):
        """Sends one management message in the compat envelope and returns its decoded answer."""
        inner = json.dumps(message).encode()
        outer = json.dumps({"Data": list(inner)}).encode()
        self.sock.sendall(struct.pack(">I", len(outer)) + outer)
        (length,) = struct.unpack(">I", self._recv_exact(4))
        if length > MAX_FRAME:
            raise ValueError(f"server announced a {length}-byte frame")
        response = json.loads(self._recv_exact(length))
        if "Error" in response:
            raise RuntimeError(bytes(response["Error"]).decode("utf-8", "replace"))
        return json.loads(bytes(response["Data"]))

    def call(self, function, params=()):
        """The single return value of `function`, or raises with the server's message."""
        answer = self.manage({"wasm_call": {"app": APP_NAME, "function": function, "params": list(params)}})
        if answer.get("status") != "ok":
            raise RuntimeError(answer.get("message", repr(answer)))
        returns = answer.get("returns", [])
        if len(returns) != 1:
            raise RuntimeError(f"expected one return value, got {returns!r}")
        return returns[0]["value"]


def text(value):
    return {"type": "string", "value": value}


def check_hello(conn):
    got = conn.call("hello")
    return got == "Hello, World!", got


def check_random(conn):
    got = conn.call("get-random")
    return isinstance(got, int) and 1 <= got <= 100, str(got)


def check_time(conn):
    got = conn.call("get-time")
    match = re.fullmatch(r"(\d+)\.(\d{9})", got)
    plausible = match is not None and abs(int(match.group(1)) - time.time()) < 24 * 3600
    return plausible, got


def check_kv_store(conn):
    got = conn.call("kv-store", [text(KV_KEY), text(KV_VALUE)])
    return got == f"stored: {KV_KEY}", f"{KV_KEY} = '{KV_VALUE}'" if got == f"stored: {KV_KEY}" else got


def check_kv_read(conn):
    got = conn.call("kv-read", [text(KV_KEY)])
    return got == KV_VALUE, got


def check_headlines(conn):
    got = conn.call("fetch-headlines")
    lines = got.split("\n") if got else []
    numbered = all(line.startswith(f"{i}. ") and len(line) > len(f"{i}. ") for i, line in enumerate(lines, 1))
    if got.startswith("error") or not lines or not numbered or len(lines) > 10:
        return False, got
    return True, f"{len(lines)} headlines — {lines[0]}"


TESTS = [
    ("Hello World", check_hello),
    ("Random Number", check_random),
    ("Wall Clock", check_time),
    ("KV Store (write)", check_kv_store),
    ("KV Store (read)", check_kv_read),
    ("HTTPS Egress", check_headlines),
]


def shorten(detail, limit=70):
    detail = " ".join(str(detail).split())
    return detail if len(detail) <= limit else detail[: limit - 1] + "…"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", nargs="?", default=DEFAULT_APP, help="component to load (default: the reference app)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--timeout", type=float, default=60.0, help="socket timeout in seconds")
    args = parser.parse_args()

    print(RULE)
    print("EnclaveOS - WASM Integration Test Suite")
    print(RULE)
    try:
        with open(args.app, "rb") as f:
            wasm = f.read()
    except OSError as error:
        print(f"✘ cannot read {args.app}: {error.strerror}")
        return 1
    print(f"Connecting to {args.host}:{args.port} ...")
    try:
        conn = Connection(args.host, args.port, args.timeout)
    except (OSError, ssl.SSLError) as error:
        print(f"✘ cannot connect: {error}")
        return 1
    print(f"Connected: {conn.describe()}")

    print(f"Loading {os.path.basename(args.app)} ...")
    try:
        conn.manage({"wasm_unload": {"name": APP_NAME}})  # a previous run may have left it loaded
        started = time.monotonic()
        loaded = conn.manage({"wasm_load": {"name": APP_NAME, "bytes": list(wasm)}})
        elapsed = time.monotonic() - started
    except (OSError, RuntimeError, ValueError) as error:
        print(f"✘ load failed: {error}")
        return 1
    if loaded.get("status") != "loaded":
        print(f"✘ load failed: {loaded.get('message', loaded)}")
        return 1
    print(f"Loaded in {elapsed:.2f}s")

    print(LINE)
    print(f"{'#':<3}{'Test':<19}{'Result':<8}Details")
    print(LINE)
    passed = 0
    for number, (name, check) in enumerate(TESTS, 1):
        try:
            ok, detail = check(conn)
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
            ok, detail = False, f"{type(error).__name__}: {error}"
        passed += ok
        print(f"{number:<3}{name:<19}{'✔' if ok else '✘':<8}{shorten(detail)}")
    print(LINE)
    if passed == len(TESTS):
        print(f"✔ Result: ALL {len(TESTS)} TESTS PASSED")
        return 0
    print(f"✘ Result: {len(TESTS) - passed} of {len(TESTS)} TESTS FAILED")
    return 1


if __name__ == "__main__":
    sys.exit(main())
