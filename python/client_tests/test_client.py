"""The enclaveos package against a real server (run by scripts/test in a fresh virtualenv where
`pip install ./python` installed it). ENCLAVEOS_TEST_PORT (and _HOST) name the server; without
them these tests fail rather than skip."""
import hashlib
import json
import os
import subprocess
import sys
import unittest
import uuid

import enclaveos
from enclaveos import Client, EnclaveError, VerificationFailed

HOST = os.environ.get("ENCLAVEOS_TEST_HOST", "127.0.0.1")
PORT = int(os.environ["ENCLAVEOS_TEST_PORT"]) if "ENCLAVEOS_TEST_PORT" in os.environ else None
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GUEST = os.path.join(ROOT, "Guests", "test-guest", "test-guest.wasm")


def guest_bytes():
    with open(GUEST, "rb") as f:
        return f.read()


def _leb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def with_custom_section(component, size):
    """The component plus a custom section of `size` bytes: valid, and large enough to stream."""
    name = b"enclaveos-padding"
    payload = _leb(len(name)) + name + bytes(size)
    return component + b"\x00" + _leb(len(payload)) + payload


class ClientTestCase(unittest.TestCase):
    def setUp(self):
        self.assertIsNotNone(PORT, "set ENCLAVEOS_TEST_PORT to a running enclave-os (scripts/test does)")
        self.name = "py-" + uuid.uuid4().hex[:8]

    def connect(self, protocol="http", **options):
        client = Client(HOST, PORT, protocol=protocol, allow_simulated=True, **options)
        self.addCleanup(client.close)
        return client

    def run_cli(self, *args):
        result = subprocess.run([sys.executable, "-m", "enclaveos", "--port", str(PORT), "--allow-simulated", *args],
                                capture_output=True, text=True, timeout=120)
        return result.returncode, result.stdout, result.stderr


class VerificationTests(ClientTestCase):
    def test_simulated_evidence_is_refused_unless_allowed(self):
        with self.assertRaises(VerificationFailed) as refused:
            Client(HOST, PORT)
        self.assertIn("evidence.hardware", [c.name for c in refused.exception.report.failures])
        client = self.connect()
        self.assertTrue(client.verification.passed)

    def test_code_hash_pinned_through_the_apps_own_certificate(self):
        data = guest_bytes()
        admin = self.connect()
        admin.load(self.name, data)
        self.addCleanup(admin.unload, self.name)
        good = self.connect(server_name=self.name, expect_code_hash=hashlib.sha256(data).hexdigest())
        self.assertEqual(good.call(self.name, "add", 1, 2), 3)
        with self.assertRaises(VerificationFailed) as wrong:
            Client(HOST, PORT, server_name=self.name, allow_simulated=True, expect_code_hash="00" * 32)
        self.assertEqual([c.name for c in wrong.exception.report.failures], ["code-hash"])


class BothProtocolsTests(ClientTestCase):
    def check_protocol(self, protocol):
        client = self.connect(protocol)
        app = client.load(self.name, GUEST)
        self.assertEqual(app["code_hash"], hashlib.sha256(guest_bytes()).hexdigest())
        self.assertEqual(client.call(self.name, "add", 2, 40), 42)
        self.assertEqual(client.call(self.name, "add", a=2, b=40), 42)
        self.assertEqual(client.call(self.name, "greet", "py"), "Hello, py!")
        self.assertEqual(client.call(self.name, "scale", 1.5, 2.0), 3.0)
        self.assertEqual(client.call(self.name, "negate", -(2**63) + 1), 2**63 - 1)
        with self.assertRaises(EnclaveError) as fuel:
            client.call(self.name, "spin")
        self.assertIn("out of fuel", str(fuel.exception))
        with self.assertRaises(ValueError):  # checked here, from the schema, before sending
            client.call(self.name, "add", -1, 2)
        self.assertIn(self.name, [a["name"] for a in client.list()])
        add = client.signature(self.name, "add")
        self.assertEqual([p["type"] for p in add["params"]], [{"kind": "u32"}, {"kind": "u32"}])
        tools = client.mcp_tools(self.name)["tools"]
        self.assertEqual(next(t for t in tools if t["name"] == "add")["inputSchema"]["required"], ["a", "b"])
        self.assertTrue(client.unload(self.name))
        self.assertFalse(client.unload(self.name))
        with self.assertRaises(EnclaveError) as gone:
            client.call(self.name, "add", a=1, b=2)
        self.assertEqual(str(gone.exception), "unknown app: '%s'" % self.name)

    def test_http(self):
        self.check_protocol("http")

    def test_frames(self):
        self.check_protocol("frames")

    def test_streamed_load_of_a_component_larger_than_the_threshold(self):
        data = with_custom_section(guest_bytes(), 6 * 1024 * 1024)
        self.assertGreater(len(data), enclaveos.client.STREAM_THRESHOLD)
        for protocol in ("http", "frames"):
            client = self.connect(protocol)
            seen = []
            app = client.load(self.name + protocol, data, progress=lambda done, total: seen.append(done))
            self.addCleanup(client.unload, self.name + protocol)
            self.assertEqual(app["code_hash"], hashlib.sha256(data).hexdigest())
            self.assertGreaterEqual(len(seen), 2, "sent in several chunks")
            self.assertEqual(seen[-1], len(data))
            self.assertEqual(client.call(self.name + protocol, "hello"), "Hello, World!")


class AppAuthTests(ClientTestCase):
    """An app loaded with app_auth answers only callers that present its token, on every path."""

    TOKEN = "callers-secret"

    def test_refused_without_the_token_and_answered_with_it(self):
        admin = self.connect()
        admin.load(self.name, GUEST, app_auth=self.TOKEN)
        self.addCleanup(admin.unload, self.name)
        for protocol in ("http", "frames"):
            client = self.connect(protocol)
            for call in (lambda **auth: client.call(self.name, "add", a=2, b=40, **auth),   # /rpc or connect_call
                         lambda **auth: client.call(self.name, "add", 2, 40, **auth)):      # wasm_call
                with self.assertRaises(EnclaveError) as anonymous:
                    call()
                self.assertTrue(str(anonymous.exception).startswith(
                    "unauthorized: app '%s' answers only callers that present its app_auth token" % self.name),
                    (protocol, str(anonymous.exception)))
                with self.assertRaises(EnclaveError) as wrong:
                    call(app_auth="guess")
                self.assertEqual(str(wrong.exception), "unauthorized: app_auth is not valid for app '%s'" % self.name)
                self.assertEqual(call(app_auth=self.TOKEN), 42, protocol)

    def test_the_servers_cap_and_header_safety(self):
        client = self.connect()
        client.load(self.name, GUEST, app_auth=self.TOKEN)
        self.addCleanup(client.unload, self.name)
        with self.assertRaises(EnclaveError) as oversized:
            client.call(self.name, "add", a=1, b=2, app_auth="x" * 4097)
        self.assertEqual(str(oversized.exception), "app_auth: longer than 4096 bytes")
        with self.assertRaises(ValueError):  # would split the header line: refused before sending
            client.call(self.name, "add", a=1, b=2, app_auth=self.TOKEN + "\r\nX-Other: 1")

    def test_command_line(self):
        code, _, err = self.run_cli("load", "--app-auth", self.TOKEN, self.name, GUEST)
        self.assertEqual(code, 0, err)
        self.addCleanup(self.run_cli, "unload", self.name)
        code, _, err = self.run_cli("call", self.name, "add", "a=2", "b=40")
        self.assertEqual(code, 1)
        self.assertIn("unauthorized: app '%s'" % self.name, err)
        code, out, err = self.run_cli("call", "--app-auth", self.TOKEN, self.name, "add", "a=2", "b=40")
        self.assertEqual((code, out.strip()), (0, "42"), err)
        code, _, err = self.run_cli("call", self.name, "add", "a=2", "b=40", "app_auth=" + self.TOKEN)
        self.assertEqual(code, 1)
        self.assertIn("pass the token with --app-auth", err)


class HTTPOnlyTests(ClientTestCase):
    def test_health_metrics_and_tools(self):
        client = self.connect()
        self.assertEqual(client.health(), {"status": "ok"})
        client.load(self.name, GUEST)
        self.addCleanup(client.unload, self.name)
        client.call(self.name, "hello")
        self.assertIn('enclave_calls_total{app="%s"} 1' % self.name, client.metrics())

    def test_typed_values_are_checked_against_the_signature(self):
        add = {"kind": "u32"}
        self.assertEqual(enclaveos.typed_value(7, add), {"type": "u32", "value": 7})
        for bad in (-1, 2**32, True, "7", 1.5):
            with self.assertRaises(ValueError):
                enclaveos.typed_value(bad, add)
        record = {"kind": "record", "fields": [{"name": "a", "type": {"kind": "option", "inner": {"kind": "string"}}},
                                                {"name": "b", "type": {"kind": "list", "element": {"kind": "u8"}}}]}
        self.assertEqual(enclaveos.typed_value({"b": b"\x01\x02"}, record),
                         {"type": "record", "value": {"a": None, "b": "AQI="}})
        self.assertEqual(enclaveos.plain_value({"type": "record", "value": {"x": {"type": "u32", "value": 1}}}), {"x": 1})


class CommandLineTests(ClientTestCase):
    def test_load_call_list_unload(self):
        code, out, err = self.run_cli("load", self.name, GUEST)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["name"], self.name)
        self.assertEqual(self.run_cli("call", self.name, "add", "2", "40")[1].strip(), "42")
        self.assertEqual(self.run_cli("call", self.name, "add", "a=2", "b=40")[1].strip(), "42")
        self.assertEqual(self.run_cli("--protocol", "frames", "call", self.name, "greet", "cli")[1].strip(), '"Hello, cli!"')
        code, _, err = self.run_cli("call", self.name, "nope")
        self.assertEqual(code, 1)
        self.assertIn("has no export 'nope'", err)
        self.assertEqual(json.loads(self.run_cli("unload", self.name)[1]), {"unloaded": True})
        self.assertTrue(os.path.exists(os.path.join(os.path.dirname(sys.executable), "enclaveos")), "console script installed")

    def test_refuses_simulated_evidence_without_the_flag(self):
        result = subprocess.run([sys.executable, "-m", "enclaveos", "--port", str(PORT), "list"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertIn("FAIL evidence.hardware", result.stderr)


if __name__ == "__main__":
    unittest.main()
