"""The two wire protocols on one TLS connection: frames and HTTP/1.1 (docs/protocol.md)."""
import base64
import json
import socket
import ssl
import struct

MAX_FRAME = 16 * 1024 * 1024
MAX_HTTP_HEAD = 64 * 1024
# Answers larger than this are refused (the server caps call results at 64 MiB by default).
MAX_HTTP_BODY = 256 * 1024 * 1024
ALPN = {"http": ["http/1.1", "privasys-ratls/1"], "frames": ["privasys-ratls/1"]}


class ProtocolError(Exception):
    """The server answered something this client cannot read."""


def open_tls(host, port, server_name=None, protocol="http", timeout=60.0):
    """A TLS 1.3 connection without chain validation: RA-TLS certificates are self-signed and
    are trusted through enclaveos_verify on this very connection, before any request."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(ALPN[protocol])
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        return context.wrap_socket(raw, server_hostname=server_name or host)
    except Exception:
        raw.close()
        raise


def _recv_exact(sock, count):
    chunks = []
    while count > 0:
        chunk = sock.recv(min(count, 1 << 20))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


class FrameTransport:
    """4-byte big-endian length + JSON; management documents travel as base64 `Data`."""

    def __init__(self, sock):
        self.sock = sock

    def _exchange(self, payload):
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)
        return self._read_frame()

    def _read_frame(self):
        length = struct.unpack(">I", _recv_exact(self.sock, 4))[0]
        if length > MAX_FRAME:
            raise ProtocolError("frame of %d bytes announced, over the 16 MiB limit" % length)
        return json.loads(_recv_exact(self.sock, length))

    def document(self, inner, credential=None):
        """Sends an inner management document, returns the inner answer (bytes)."""
        if credential is not None:
            inner = dict(inner, auth=credential)
        body = json.dumps(inner, separators=(",", ":")).encode()
        envelope = json.dumps({"Data": base64.b64encode(body).decode()}).encode()
        if len(envelope) > MAX_FRAME:
            raise ProtocolError("request of %d bytes does not fit a frame; use the streamed load" % len(envelope))
        answer = self._exchange(envelope)
        if isinstance(answer, dict) and "Chunked" in answer:
            return self._chunked(answer["Chunked"])
        return self._data(answer)

    def _data(self, answer):
        if isinstance(answer, dict) and "Data" in answer:
            data = answer["Data"]
            return base64.b64decode(data) if isinstance(data, str) else bytes(data)
        if isinstance(answer, dict) and "Error" in answer:
            error = answer["Error"]
            raise ProtocolError((base64.b64decode(error) if isinstance(error, str) else bytes(error)).decode("utf-8", "replace"))
        raise ProtocolError("unexpected response %r" % (answer,))

    def _chunked(self, head):
        import hashlib
        size, chunks = int(head["size"]), int(head["chunks"])
        if size > MAX_HTTP_BODY:
            raise ProtocolError("chunked response of %d bytes is over this client's limit" % size)
        parts = b"".join(self._data(self._read_frame()) for _ in range(chunks))
        if len(parts) != size or hashlib.sha256(parts).hexdigest() != head["sha256"]:
            raise ProtocolError("chunked response does not match its announced size or SHA-256")
        return parts

    def ping(self):
        return self._exchange(b'"Ping"') == "Pong"


class HTTPResponse:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class HTTPTransport:
    """HTTP/1.1 with keep-alive on the same socket; bodies by Content-Length."""

    def __init__(self, sock, host):
        self.sock, self.host, self.buffer = sock, host, b""

    def request(self, method, path, body=None, headers=None):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % self.host]
        for name, value in (headers or {}).items():
            lines.append("%s: %s" % (name, value))
        if body is not None:
            lines.append("Content-Length: %d" % len(body))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        return self._read_response()

    def _read_response(self):
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HTTP_HEAD:
                raise ProtocolError("response head over %d bytes" % MAX_HTTP_HEAD)
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ProtocolError("not an HTTP response: %r" % lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if length > MAX_HTTP_BODY:
            raise ProtocolError("response body of %d bytes is over this client's limit" % length)
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return HTTPResponse(int(parts[1]), headers, body)

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def json_request(self, method, path, payload=None, credential=None, extra_headers=None):
        headers = {"Content-Type": "application/json"}
        if credential is not None:
            headers["Authorization"] = "Bearer " + credential
        headers.update(extra_headers or {})
        body = None if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        return self.request(method, path, body, headers)

    def document(self, inner, credential=None):
        """POST /data: the same inner document frames carry, answered with the same document."""
        response = self.json_request("POST", "/data", inner, credential)
        if response.status != 200:
            raise ProtocolError("HTTP %d: %s" % (response.status, response.body.decode("utf-8", "replace")))
        return response.body
