"""The frame protocol as the test clients speak it (standard library only; docs/protocol.md):
a 4-byte big-endian payload length, then the payload, at most 16 MiB. The compat envelope carries
a management document as `{"Data": [its bytes]}` and answers in kind (or `{"Error": [bytes]}`).

The seed's own client (tests/test_wasm_functions.py) stays as the original wrote it; the other
test clients share these functions instead of each carrying a copy.
"""
import json
import struct

MAX_FRAME = 16 * 1024 * 1024
# How much one recv may take: large frames arrive in pieces of at most this size.
RECV_PIECE = 1 << 20


def recv_exact(sock, count):
    """Exactly `count` bytes from `sock`, however the stream is cut; ConnectionError if it ends first."""
    buffer = bytearray(count)
    view = memoryview(buffer)
    received = 0
    while received < count:
        taken = sock.recv_into(view[received:], min(count - received, RECV_PIECE))
        if taken == 0:
            raise ConnectionError(f"server closed the connection after {received} of {count} bytes")
        received += taken
    return bytes(buffer)


def send_frame(sock, payload):
    """Sends one frame; refuses a payload the server would refuse."""
    if len(payload) > MAX_FRAME:
        raise ValueError(f"a {len(payload)}-byte frame is over the {MAX_FRAME}-byte limit")
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def recv_frame(sock):
    """The next frame's payload, parsed as JSON; ValueError if its header announces over 16 MiB."""
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    if length > MAX_FRAME:
        raise ValueError(f"server announced a {length}-byte frame")
    return json.loads(recv_exact(sock, length))


def manage_compat(sock, message):
    """One management message in the compat envelope; its decoded answer, or RuntimeError with the
    server's `Error` text."""
    inner = json.dumps(message).encode()
    send_frame(sock, json.dumps({"Data": list(inner)}).encode())
    response = recv_frame(sock)
    if "Error" in response:
        raise RuntimeError(bytes(response["Error"]).decode("utf-8", "replace"))
    return json.loads(bytes(response["Data"]))
