#!/usr/bin/env python3
"""The protocol's extensions, driven by a second client written from docs/protocol.md alone
(standard library only): base64 Data answered in kind, the streamed load of a component larger
than a frame, its refusals, and a result larger than a frame read as a chunked response.

Usage: protocol_client.py [HOST [PORT]]
Prints one line per check and finally `N passed, M failed`; exits 1 on any failure.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import ssl
import sys

from frame_wire import recv_frame, send_frame  # tests/frame_wire.py, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
GUESTS = os.path.join(HERE, "..", "Guests")


class Connection:
    def __init__(self, host, port):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = context.wrap_socket(socket.create_connection((host, port), timeout=300), server_hostname=None)

    def send_frame(self, payload):
        send_frame(self.sock, payload)

    def recv_frame(self):
        return recv_frame(self.sock)

    def data_b64(self, inner):
        """Sends {"Data":"<base64>"}; returns the outer response, decoding a chunked one."""
        self.send_frame(json.dumps({"Data": base64.b64encode(inner).decode()}).encode())
        response = self.recv_frame()
        if isinstance(response, dict) and "Chunked" in response:
            head = response["Chunked"]
            document = b"".join(base64.b64decode(self.recv_frame()["Data"]) for _ in range(head["chunks"]))
            assert len(document) == head["size"], "chunked size"
            assert hashlib.sha256(document).hexdigest() == head["sha256"], "chunked sha256"
            return {"Data": document, "chunks": head["chunks"]}
        return response

    def manage(self, message):
        response = self.data_b64(json.dumps(message).encode())
        raw = response["Data"]
        assert isinstance(raw, (str, bytes)), f"Data answered as {type(raw).__name__}, not base64"
        document = raw if isinstance(raw, bytes) else base64.b64decode(raw)
        return json.loads(document), response.get("chunks", 0)


def padded(component, size):
    """`component` with a component-level custom section making it exactly `size` bytes."""
    name = b"padding"
    filler = size - len(component) - (1 + 5 + 1 + len(name))
    length = 1 + len(name) + filler
    leb = bytes(((length >> (7 * i)) & 0x7F) | (0x80 if i < 4 else 0) for i in range(5))
    return component + b"\x00" + leb + bytes([len(name)]) + name + bytes(filler)


def streamed_load(conn, name, component, chunk_size=4 << 20):
    begin, _ = conn.manage({"wasm_load_begin": {"name": name, "size": len(component),
                                                "sha256": hashlib.sha256(component).hexdigest()}})
    assert begin["status"] == "upload", begin
    upload = begin["upload"]
    for offset in range(0, len(component), chunk_size):
        piece = component[offset:offset + chunk_size]
        answer, _ = conn.manage({"wasm_load_chunk": {"upload": upload, "offset": offset,
                                                     "bytes": base64.b64encode(piece).decode()}})
        assert answer == {"status": "chunk", "upload": upload, "received": offset + len(piece)}, answer
    answer, _ = conn.manage({"wasm_load_commit": {"upload": upload}})
    return answer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host", nargs="?", default="127.0.0.1")
    parser.add_argument("port", nargs="?", type=int, default=8443)
    args = parser.parse_args()
    conn = Connection(args.host, args.port)
    passed = failed = 0

    def check(name, func):
        nonlocal passed, failed
        try:
            ok, detail = func()
        except Exception as error:  # noqa: BLE001 - every failure is reported
            ok, detail = False, f"{type(error).__name__}: {error}"
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
        sys.stdout.flush()
        passed, failed = passed + ok, failed + (not ok)

    guest = open(os.path.join(GUESTS, "test-guest", "test-guest.wasm"), "rb").read()
    big = padded(guest, 17 * 1024 * 1024)

    def base64_in_kind():
        listing, _ = conn.manage({"wasm_list": {}})
        return listing["status"] == "apps", listing

    def streamed():
        answer = streamed_load(conn, "proto-big", big)
        ok = answer.get("status") == "loaded" and answer["app"]["code_hash"] == hashlib.sha256(big).hexdigest()
        add, _ = conn.manage({"wasm_call": {"app": "proto-big", "function": "add",
                                            "params": [{"type": "u32", "value": 2}, {"type": "u32", "value": 40}]}})
        return ok and add == {"status": "ok", "returns": [{"type": "u32", "value": 42}]}, (answer, add)

    def over_limit():
        answer, _ = conn.manage({"wasm_load_begin": {"name": "too-big", "size": 64 * 1024 * 1024 + 1, "sha256": "0" * 64}})
        return answer["status"] == "error" and "67108864" in answer["message"] and "--max-component-mib" in answer["message"], answer

    def wrong_hash():
        component = padded(guest, 1 << 20)
        begin, _ = conn.manage({"wasm_load_begin": {"name": "bad-hash", "size": len(component), "sha256": "ab" * 32}})
        upload = begin["upload"]
        conn.manage({"wasm_load_chunk": {"upload": upload, "offset": 0, "bytes": base64.b64encode(component).decode()}})
        answer, _ = conn.manage({"wasm_load_commit": {"upload": upload}})
        return answer["status"] == "error" and "not the declared sha256" in answer["message"], answer

    def chunked_result():
        values = open(os.path.join(GUESTS, "large-values", "large-values.wasm"), "rb").read()
        loaded, _ = conn.manage({"wasm_load": {"name": "proto-values", "bytes": base64.b64encode(values).decode()}})
        assert loaded["status"] == "loaded", loaded
        size = 17 * 1024 * 1024
        answer, chunks = conn.manage({"wasm_call": {"app": "proto-values", "function": "big-string",
                                                    "params": [{"type": "u32", "value": size}], "chunked_result": True}})
        value = answer["returns"][0]["value"]
        return chunks == 2 and len(value) == size and value == "a" * size, (chunks, len(value))

    def refused_without_chunks():
        answer, _ = conn.manage({"wasm_call": {"app": "proto-values", "function": "big-string",
                                               "params": [{"type": "u32", "value": 17 * 1024 * 1024}]}})
        message = answer.get("message", "")
        return answer["status"] == "error" and "exceeds the 16777216-byte frame limit" in message, message[:200]

    check("base64 Data is answered with base64 Data", base64_in_kind)
    check("streamed load of a 17 MiB component (larger than a frame), then a call", streamed)
    check("64 MiB + 1 is refused at wasm_load_begin, naming the limit and the option", over_limit)
    check("a wrong SHA-256 is refused at commit", wrong_hash)
    check("a 17 MiB string result arrives as a chunked response, hash checked", chunked_result)
    check("the same result without chunked_result is refused with the frame limit named", refused_without_chunks)
    for name in ("proto-big", "proto-values"):
        conn.manage({"wasm_unload": {"name": name}})
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
