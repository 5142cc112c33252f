"""`Client`: one verified TLS connection to an EnclaveOS server, speaking frames or HTTP/1.1."""
import base64
import hashlib
import json
import urllib.parse

import enclaveos_verify

from .transport import FrameTransport, HTTPTransport, ProtocolError, open_tls
from .values import plain_value, typed_value

# Components above this size are streamed (wasm_load_begin / _chunk / _commit), as `enclave load` does.
STREAM_THRESHOLD = 4 * 1024 * 1024
# The caller's token for an app loaded with `app_auth`, on the named-parameter routes (docs/protocol.md).
APP_AUTH_HEADER = "X-App-Auth"


class EnclaveError(Exception):
    """The server refused a request; the message is the server's (`{"status":"error"}` or `{"error"}`)."""


class VerificationFailed(Exception):
    """The server's RA-TLS certificate failed a check; `report` lists every check."""

    def __init__(self, report):
        super().__init__("RA-TLS verification failed: %s" % ", ".join(c.name for c in report.failures))
        self.report = report


class Client:
    """A connection to an EnclaveOS server.

    protocol: "http" (HTTP/1.1, the default) or "frames". verify: check the RA-TLS certificate
    of this connection before any request (allow_simulated accepts the simulated evidence of a
    server without a TEE; expect_code_hash pins an app's code hash, with server_name selecting
    its per-app certificate; ca_cert, a PEM/DER file, requires the leaf to be signed by that
    operator CA). credential: sent as `Authorization: Bearer` / the document's `"auth"`.
    """

    def __init__(self, host="127.0.0.1", port=8443, protocol="http", server_name=None, verify=True,
                 allow_simulated=False, expect_code_hash=None, credential=None, timeout=60.0, ca_cert=None):
        if protocol not in ("http", "frames"):
            raise ValueError("protocol must be 'http' or 'frames', not %r" % (protocol,))
        self.protocol, self.credential = protocol, credential
        self.sock = open_tls(host, port, server_name, protocol, timeout)
        self.verification = None
        try:
            if verify:
                der = self.sock.getpeercert(binary_form=True)
                code_hash = bytes.fromhex(expect_code_hash) if expect_code_hash else None
                ca = enclaveos_verify.load_certificate(_read(ca_cert)) if ca_cert else None
                report = enclaveos_verify.verify_certificate(der, allow_simulated=allow_simulated, code_hash=code_hash, ca_cert=ca)
                if not report.passed:
                    raise VerificationFailed(report)
                self.verification = report
        except Exception:
            self.sock.close()
            raise
        authority = "%s:%d" % (server_name or host, port)
        self.transport = HTTPTransport(self.sock, authority) if protocol == "http" else FrameTransport(self.sock)
        self._schemas = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    # --- management documents ------------------------------------------------------------
    def document(self, inner):
        """Sends an inner management document; returns the parsed answer (errors included)."""
        return json.loads(self.transport.document(inner, self.credential))

    def _expect(self, answer, status):
        if answer.get("status") == "error":
            raise EnclaveError(answer.get("message", "error"))
        if answer.get("status") != status:
            raise ProtocolError("expected status %r, got %r" % (status, answer))
        return answer

    def load(self, name, component, hostname=None, encryption_key=None, max_fuel=None, app_auth=None, progress=None):
        """Loads a component (a path or bytes); returns the app object. Large ones are streamed.
        app_auth: a token every caller of the app must then present (`call(..., app_auth=…)`)."""
        data = component if isinstance(component, (bytes, bytearray)) else _read(component)
        options = {k: v for k, v in (("hostname", hostname), ("encryption_key", encryption_key), ("max_fuel", max_fuel),
                                     ("app_auth", app_auth)) if v is not None}
        if len(data) <= STREAM_THRESHOLD:
            body = dict(name=name, bytes=base64.b64encode(data).decode(), **options)
            answer = self._expect(self.document({"wasm_load": body}), "loaded")
        else:
            answer = self._streamed_load(name, bytes(data), options, progress)
        self._schemas.pop(name, None)
        return answer["app"]

    def _streamed_load(self, name, data, options, progress):
        begin = dict(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), **options)
        ticket = self._expect(self.document({"wasm_load_begin": begin}), "upload")
        upload, step = ticket["upload"], int(ticket["chunk_size"])
        try:
            for offset in range(0, len(data), step):
                chunk = base64.b64encode(data[offset:offset + step]).decode()
                sent = self._expect(self.document({"wasm_load_chunk": {"upload": upload, "offset": offset, "bytes": chunk}}), "chunk")
                if progress:
                    progress(sent["received"], len(data))
            return self._expect(self.document({"wasm_load_commit": {"upload": upload}}), "loaded")
        except Exception:
            try:
                self.document({"wasm_load_abort": {"upload": upload}})
            except Exception:
                pass
            raise

    def list(self):
        return self._expect(self.document({"wasm_list": {}}), "apps")["apps"]

    def unload(self, name):
        """True if the app was loaded."""
        self._schemas.pop(name, None)
        answer = self.document({"wasm_unload": {"name": name}})
        if answer.get("status") == "error":
            raise EnclaveError(answer.get("message"))
        return answer.get("status") == "unloaded"

    def schema(self, app):
        """The app's schema object (`functions`, `interfaces`, WIT type descriptors)."""
        if app not in self._schemas:
            if self.protocol == "http":
                answer = self._http_json("GET", "/rpc/%s/schema" % _segment(app))
            else:
                answer = self.document({"wasm_schema": {"app": app}})
            self._schemas[app] = self._expect(answer, "schema")["schema"]
        return self._schemas[app]

    def signature(self, app, function):
        """The schema entry of `function` (root, or `interface/function`)."""
        schema = self.schema(app)
        for entry in schema.get("functions", []):
            if entry["name"] == function:
                return entry
        for interface in schema.get("interfaces", []):
            for entry in interface["functions"]:
                if "%s/%s" % (interface["name"], entry["name"]) == function:
                    return entry
        raise EnclaveError("app %r has no export %r" % (app, function))

    def call(self, app, function, *args, app_auth=None, **kwargs):
        """Calls an export with plain Python values: positional arguments are typed from the
        app's WIT signature (`wasm_call`), keyword arguments are named parameters typed by the
        server (`POST /rpc/<app>/<function>`, or `connect_call` over frames). Returns the plain
        result: None for none, the value for one, a list for several.

        app_auth: the caller's token for an app loaded with one; sent as the `X-App-Auth` header
        of `/rpc`, else as the message's `app_auth` field. (`app_auth` is a transport field, never
        a named parameter, as on the server.)"""
        if args and kwargs:
            raise ValueError("pass arguments either by position or by name, not both")
        _check_app_auth(app_auth)
        token = {} if app_auth is None else {"app_auth": app_auth}
        if kwargs or not args:
            if self.protocol == "http":
                headers = {} if app_auth is None else {APP_AUTH_HEADER: app_auth}
                answer = self._http_json("POST", "/rpc/%s/%s" % (_segment(app), _segment(function, keep="/")), kwargs, headers)
            else:
                answer = self.document({"connect_call": dict(app=app, function=function, body=kwargs, **token)})
        else:
            params = self.signature(app, function)["params"]
            if len(args) != len(params):
                raise ValueError("%s takes %d arguments, got %d" % (function, len(params), len(args)))
            typed = [typed_value(a, p["type"], "argument %r" % p["name"]) for a, p in zip(args, params)]
            answer = self.document({"wasm_call": dict(app=app, function=function, params=typed, chunked_result=True, **token)})
        returns = [plain_value(r) for r in self._expect(answer, "ok")["returns"]]
        return None if not returns else returns[0] if len(returns) == 1 else returns

    def mcp_tools(self, app=""):
        """The app's MCP tool manifest (`{"name", "tools": [{"name","description"?,"inputSchema"}]}`)."""
        return self._expect(self.document({"mcp_tools": {"app": app}}), "mcp_tools")["manifest"]

    # --- HTTP only ---------------------------------------------------------------------
    def _http(self):
        if self.protocol != "http":
            raise ValueError("this needs protocol='http'")
        return self.transport

    def _http_json(self, method, path, payload=None, headers=None):
        response = self._http().json_request(method, path, payload, self.credential, headers)
        try:
            answer = response.json()
        except ValueError:
            raise ProtocolError("HTTP %d: %r" % (response.status, response.body[:200]))
        if response.status != 200:
            raise EnclaveError(answer.get("error", "HTTP %d" % response.status) if isinstance(answer, dict) else answer)
        return answer

    def health(self):
        return self._http_json("GET", "/healthz")

    def metrics(self):
        """The Prometheus text of GET /metrics."""
        return self._http().request("GET", "/metrics").body.decode()

    def tools(self):
        """GET /api/v1/mcp/tools (the app chosen by the server: Host's first label, else the only app)."""
        return self._http_json("GET", "/api/v1/mcp/tools")["tools"]

    def shutdown(self):
        """Asks the server to stop; needs the operator token as `credential`."""
        if self.protocol == "http":
            return self._http_json("POST", "/shutdown", {})
        envelope = json.dumps({"Shutdown": {"token": self.credential}}).encode()
        answer = self.transport._exchange(envelope)
        if answer != "Ok":
            raise EnclaveError(bytes(answer.get("Error", [])).decode("utf-8", "replace") if isinstance(answer, dict) else answer)
        return {}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _check_app_auth(token):
    """Refuses a token that would break the header line it may become; its length is the
    server's to judge (over 4096 bytes: refused)."""
    if token is None:
        return
    if not isinstance(token, str):
        raise ValueError("app_auth must be a string")
    if any(c in token for c in "\r\n\0"):
        raise ValueError("app_auth: must not contain CR, LF or NUL")


def _segment(text, keep=""):
    return urllib.parse.quote(text, safe=keep)
