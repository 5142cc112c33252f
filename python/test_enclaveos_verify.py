"""Tests for enclaveos_verify.

Run: python3 -m unittest python/test_enclaveos_verify.py -v

Self-contained tests build certificates with `cryptography`. The Swift test
`PythonCrossCheckTests` sets ENCLAVEOS_SWIFT_FIXTURES to a directory holding
certificates made by the Swift AttestedCertificateBuilder plus manifest.json; then
the `SwiftFixtureTests` verify those (also over a real TLS connection) instead of
skipping.
"""

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import socket
import ssl
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enclaveos_verify as ev  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

EGRESS = bytes([0xAA]) * 32
APPS = [("test-app", bytes([7]) * 32)]


def make_cert(nonce=None, tamper_root=False, evidence=None, not_before=dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.timezone.utc)):
    """A server certificate built independently of the Swift code, from the documented layout."""
    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    binding = nonce if nonce is not None else ev.minute_timestamp(not_before).encode()
    rd = ev.report_data(spki, binding)
    apps_sha = ev.apps_hash(APPS)
    root = ev.server_config_root(EGRESS, apps_sha)
    if tamper_root:
        root = bytes(32)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "py")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(not_before)
               .not_valid_after(not_before + dt.timedelta(days=1)))
    raw = [(ev.OID_SGX_QUOTE, evidence if evidence is not None else ev.MOCK_PREFIX + rd),
           (ev.OID_CONFIG_ROOT, root), (ev.OID_EGRESS_CA_BUNDLE_HASH, EGRESS), (ev.OID_APPS_HASH, apps_sha),
           (ev.OID_APPS_HASH_ALIAS, apps_sha)]
    for oid, value in raw:
        builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER)


class VectorTests(unittest.TestCase):
    """Same vectors as Tests/AttestationTests/ReportDataTests.swift."""

    def test_report_data_vector(self):
        rd = ev.report_data(bytes(range(91)), b"2025-01-02T03:04Z")
        self.assertEqual(rd.hex()[:32], "b9a4a25b46e706c418663e9c4687a2ae")

    def test_minute_timestamp(self):
        self.assertEqual(ev.minute_timestamp(dt.datetime.fromtimestamp(951868799, dt.timezone.utc)), "2000-02-29T23:59Z")

    def test_apps_hash_and_roots(self):
        apps = [("zeta", bytes([1]) * 32), ("alpha", bytes([2]) * 32), ("Beta", bytes([3]) * 32)]
        self.assertEqual(ev.apps_hash(apps).hex(), "afe486e843f1edbb3271169553879dd0d80a3efca0a31fbb479cbee83efb89bb")
        self.assertEqual(ev.server_config_root(bytes([0xAA]) * 32, bytes([0xBB]) * 32).hex(),
                         "9c01d910c232e1ec953887637eae75f9b33a8b6bd4df309473f64901adf07560")
        self.assertEqual(ev.app_config_root("app.example", bytes([0xCC]) * 32, "generated", bytes([0xAA]) * 32).hex(),
                         "491eeb3eda9698c457715fd095ad6454979d533a294ea8d1c95ab52fa1378447")

    def test_app_identity_root_is_the_originals_formula(self):
        code, source = bytes([0xCC]) * 32, "byok:" + "ab" * 32
        expected = hashlib.sha256(hashlib.sha256(code).digest() + hashlib.sha256(source.encode()).digest()).digest()
        self.assertEqual(ev.app_identity_root(code, source), expected)

    def test_spki_extraction_matches_cryptography(self):
        der = make_cert()
        cert = x509.load_der_x509_certificate(der)
        spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.assertEqual(ev.subject_public_key_info_der(der), spki)


class SelfContainedVerifyTests(unittest.TestCase):
    def test_deterministic_simulated_only_when_allowed(self):
        der = make_cert()
        ok = ev.verify_certificate(der, allow_simulated=True, apps=APPS)
        self.assertTrue(ok.passed, str(ok))
        refused = ev.verify_certificate(der)
        self.assertEqual([c.name for c in refused.failures], ["evidence.hardware"])

    def test_nonce_binding(self):
        nonce = os.urandom(32)
        der = make_cert(nonce=nonce)
        self.assertTrue(ev.verify_certificate(der, nonce=nonce, allow_simulated=True).passed)
        wrong = ev.verify_certificate(der, nonce=os.urandom(32), allow_simulated=True)
        self.assertEqual([c.name for c in wrong.failures], ["report-data.binding"])

    def test_tampered_root_truncated_evidence_garbage(self):
        self.assertEqual([c.name for c in ev.verify_certificate(make_cert(tamper_root=True), allow_simulated=True).failures],
                         ["config-root.consistency"])
        bad = ev.verify_certificate(make_cert(evidence=b"MOCK_QUOTE:abc"), allow_simulated=True)
        self.assertEqual([c.name for c in bad.failures], ["evidence.structure"])
        self.assertEqual([c.name for c in ev.verify_certificate(b"\x30\x03\x02\x01\x00").failures], ["certificate.parse"])

    def test_cli_exit_status(self):
        import tempfile
        with tempfile.NamedTemporaryFile(suffix=".der", delete=False) as f:
            f.write(make_cert())
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                self.assertEqual(ev.main(["--pem", f.name, "--allow-simulated"]), 0)
                self.assertEqual(ev.main(["--pem", f.name, "--json"]), 1)
            self.assertIn("PASS report-data.binding", out.getvalue())
            self.assertIn('"name": "evidence.hardware"', out.getvalue())
        finally:
            os.unlink(f.name)


class SwiftFixtureTests(unittest.TestCase):
    """Certificates produced by the Swift AttestedCertificateBuilder."""

    @classmethod
    def setUpClass(cls):
        cls.dir = os.environ["ENCLAVEOS_SWIFT_FIXTURES"]
        with open(os.path.join(cls.dir, "manifest.json")) as f:
            cls.manifest = json.load(f)

    def load(self, entry):
        with open(os.path.join(self.dir, entry["cert"]), "rb") as f:
            return ev.load_certificate(f.read())

    def test_every_swift_certificate_verifies_with_the_same_check_names(self):
        self.assertGreaterEqual(len(self.manifest["certificates"]), 3)
        for entry in self.manifest["certificates"]:
            der = self.load(entry)
            report = ev.verify_certificate(
                der,
                nonce=bytes.fromhex(entry["nonce"]) if entry.get("nonce") else None,
                allow_simulated=True,
                code_hash=bytes.fromhex(entry["code_hash"]) if entry.get("code_hash") else None,
                apps=[(a["name"], bytes.fromhex(a["code_hash"])) for a in entry["apps"]] if "apps" in entry else None,
            )
            self.assertTrue(report.passed, "%s\n%s" % (entry["cert"], report))
            self.assertEqual([c.name for c in report.checks], entry["swift_check_names"], entry["cert"])
            self.assertEqual(report.check("report-data.binding").passed, True)
            # Negative: the Swift certificate must fail a wrong expectation, naming it.
            wrong = ev.verify_certificate(der, nonce=b"\x00" * 32, allow_simulated=True)
            self.assertIn("report-data.binding", [c.name for c in wrong.failures])

    def test_code_hash_is_sha256_of_the_app_bytes(self):
        entry = next(e for e in self.manifest["certificates"] if e.get("app_bytes_hex"))
        expected = hashlib.sha256(bytes.fromhex(entry["app_bytes_hex"])).digest()
        self.assertTrue(ev.verify_certificate(self.load(entry), code_hash=expected, allow_simulated=True).passed)
        wrong = ev.verify_certificate(self.load(entry), code_hash=bytes(32), allow_simulated=True)
        self.assertEqual([c.name for c in wrong.failures], ["code-hash"])

    def test_fetch_over_tls_with_the_swift_key(self):
        entry = self.manifest["certificates"][0]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(os.path.join(self.dir, entry["cert"]), os.path.join(self.dir, entry["key"]))
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def serve():
            conn, _ = listener.accept()
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            der = ev.fetch_peer_certificate("127.0.0.1", port, sni="localhost")
        finally:
            thread.join(5)
            listener.close()
        self.assertEqual(der, self.load(entry))
        self.assertTrue(ev.verify_certificate(der, allow_simulated=True).passed)


def load_tests(loader, standard_tests, pattern):
    """SwiftFixtureTests needs the certificates that the Swift PythonCrossCheckTests writes, and
    that test runs this file itself with ENCLAVEOS_SWIFT_FIXTURES set (and fails if the class
    does not run). Any other run leaves the class out instead of reporting it skipped."""
    if os.environ.get("ENCLAVEOS_SWIFT_FIXTURES"):
        return standard_tests
    suite = unittest.TestSuite()
    for group in standard_tests:
        for test in group:
            if not isinstance(test, SwiftFixtureTests):
                suite.addTest(test)
    return suite


if __name__ == "__main__":
    unittest.main()
