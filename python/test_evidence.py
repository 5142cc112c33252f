"""Tests of the hardware evidence verifier on real published evidence.

Run: python3 -m unittest discover -s python -p 'test_*.py' -v

Every case of Tests/AttestationTests/Vectors/expected.json (the Swift tests read the same file):
positive vectors verify at their time with the expected TCB status and measured values, negative
ones fail exactly the named checks, and each fails once its collateral has expired. Remote
appraisal is tested against a local HTTPS stand-in speaking the original's request shape.
"""

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import unittest
import warnings
from http.server import BaseHTTPRequestHandler, HTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import enclaveos_evidence as evidence  # noqa: E402
import enclaveos_roots as roots  # noqa: E402
import enclaveos_snp as snp  # noqa: E402
import enclaveos_verify as ev  # noqa: E402
from cryptography import x509  # noqa: E402

VECTORS = os.path.join(os.path.dirname(HERE), "Tests", "AttestationTests", "Vectors")
with open(os.path.join(VECTORS, "expected.json")) as _f:
    EXPECTED = json.load(_f)
# Milan VCEKs carry a non-positive serial, which cryptography 48 loads with a deprecation warning.
warnings.filterwarnings("ignore", message=".*serial number which wasn't positive.*")


def at(text):
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def read(rel):
    with open(os.path.join(VECTORS, rel), "rb") as f:
        return f.read()


@contextlib.contextmanager
def collateral_dir(spec):
    """The case's collateral directory: a vector folder, or a temporary one assembled from files."""
    if spec is None:
        yield None
    elif "dir" in spec:
        yield os.path.join(VECTORS, spec["dir"])
    else:
        tmp = tempfile.mkdtemp()
        try:
            for name, rel in spec["files"].items():
                shutil.copy(os.path.join(VECTORS, rel), os.path.join(tmp, name))
            yield tmp
        finally:
            shutil.rmtree(tmp)


def run_case(case):
    policy = evidence.Policy.from_json(json.dumps(case["policy"]).encode())
    with collateral_dir(case["collateral"]) as directory:
        return evidence.verify_evidence(read(case["evidence"]), directory, at(case["at"]), policy, ev.VerificationReport())


class VectorCaseTests(unittest.TestCase):
    def test_every_case_fails_exactly_the_named_checks(self):
        self.assertGreaterEqual(len(EXPECTED["cases"]), 25)
        for case in EXPECTED["cases"]:
            with self.subTest(case["name"]):
                report = run_case(case)
                self.assertEqual([c.name for c in report.failures], case["failures"], str(report))
                self.assertEqual(report.passed, not case["failures"])
                if "reason" in case:
                    self.assertIn(case["reason"], report.failures[0].detail)
                if "tcb_status" in case:
                    self.assertEqual(report.tcb_status, case["tcb_status"])
                if "advisory_ids" in case:
                    self.assertEqual(report.advisory_ids, case["advisory_ids"])
                values = dict(report.measurements)
                for name, value in case.get("values", {}).items():
                    self.assertEqual(values[name].hex(), value, name)
                if "qe_status" in case:
                    self.assertIn(": " + case["qe_status"], report.check("qe.identity").detail)

    def test_every_positive_vector_fails_after_its_collateral_expires(self):
        for case in EXPECTED["cases"]:
            if case["failures"] or case["collateral"] is None:
                continue
            with self.subTest(case["name"]):
                later = dict(case, at=(at(case["at"]) + dt.timedelta(days=3000)).strftime("%Y-%m-%dT%H:%M:%SZ"))
                report = run_case(later)
                self.assertIn("collateral.current", [c.name for c in report.failures])
                self.assertIn("collateral expired", report.check("collateral.current").detail)

    def test_vcek_chains(self):
        for chain in EXPECTED["chains"]:
            with self.subTest(chain["name"]):
                ask_ark = read(chain["ask_ark"]) if chain["ask_ark"] else None
                why, _, product = snp.verify_vcek_chain(read(chain["vcek"]), ask_ark, at(chain["at"]))
                self.assertEqual(why is None, chain["valid"], why)
                self.assertEqual(product, chain["product"])

    def test_pinned_roots_are_the_documented_certificates(self):
        import hashlib
        for name, fingerprint in roots.FINGERPRINTS.items():
            self.assertEqual(hashlib.sha256(getattr(roots, name)).hexdigest(), fingerprint, name)
        self.assertEqual(roots.INTEL_SGX_ROOT_CA, read("roots/intel-sgx-root-ca.der"))

    def test_truncations_and_garbage_are_failed_checks(self):
        quote = read("tdx-v4-dcap-qvl/quote.bin")
        for cut in (0, 47, 48, 600, 632, 636, 700, 1100, 4935):
            report = evidence.verify_evidence(quote[:cut], os.path.join(VECTORS, "tdx-v4-dcap-qvl"), at("2025-07-01T00:00:00Z"),
                                              evidence.Policy(), ev.VerificationReport())
            self.assertFalse(report.passed, cut)
        bogus = bytearray(quote)
        bogus[632:636] = (0xFFFFFFF0).to_bytes(4, "little")  # signature data length far past the end
        report = evidence.verify_evidence(bytes(bogus), None, at("2025-07-01T00:00:00Z"), evidence.Policy(), ev.VerificationReport())
        self.assertEqual(report.failures[0].name, "quote.structure")
        self.assertIn("runs past the end", report.failures[0].detail)


class CertificatePathTests(unittest.TestCase):
    """verify_certificate runs the same hardware checks on the evidence a certificate carries."""

    def certificate_with(self, oid, evidence_bytes, when):
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "replayed evidence")])
        egress = bytes(32)  # no app loaded: no apps hash, an empty apps leaf in the root
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(when).not_valid_after(when + dt.timedelta(days=1)))
        for ext_oid, value in ((oid, evidence_bytes), (ev.OID_CONFIG_ROOT, ev.server_config_root(egress, b"")),
                               (ev.OID_EGRESS_CA_BUNDLE_HASH, egress)):
            builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(ext_oid), value), critical=False)
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def test_a_real_quote_in_a_certificate(self):
        when = at("2025-07-01T00:00:00Z")
        der = self.certificate_with(ev.OID_TDX_QUOTE, read("tdx-v4-dcap-qvl/quote.bin")[:4936], when)
        report = ev.verify_certificate(der, now=when, collateral_dir=os.path.join(VECTORS, "tdx-v4-dcap-qvl"))
        # The quote was not made for this certificate's key: only the binding fails.
        self.assertEqual([c.name for c in report.failures], ["report-data.binding"], str(report))
        self.assertTrue(report.check("tcb.status").passed)
        self.assertEqual(report.tcb_status, "UpToDate")
        without = ev.verify_certificate(der, now=when)
        self.assertIn("collateral.present", [c.name for c in without.failures])
        import enclaveos_cli
        self.assertEqual(enclaveos_cli.evidence_bytes(der), read("tdx-v4-dcap-qvl/quote.bin")[:4936])


class PolicyFileTests(unittest.TestCase):
    def test_rejects_unknown_fields_revoked_and_bad_hex(self):
        for text, needle in ((b'{"allow_debugging": true}', "unknown field"),
                             (b'{"accepted_tcb_statuses": ["Revoked"]}', "Revoked"),
                             (b'{"accepted_tcb_statuses": ["Fine"]}', "accepted_tcb_statuses"),
                             (b'{"measurements": {"MRTD": "xyz"}}', "measurements.MRTD"),
                             (b'[]', "JSON object")):
            with self.assertRaises(ValueError) as caught:
                evidence.Policy.from_json(text)
            self.assertIn(needle, str(caught.exception))


class CommandLineTests(unittest.TestCase):
    def run_cli(self, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            status = ev.main(list(args))
        return status, out.getvalue()

    def test_evidence_collateral_at_policy(self):
        base = ["--evidence", os.path.join(VECTORS, "sgx-v3-dcap-qvl/quote.bin"),
                "--collateral", os.path.join(VECTORS, "sgx-v3-dcap-qvl"), "--at", "2025-07-01T00:00:00Z"]
        status, out = self.run_cli(*base)
        self.assertEqual(status, 1)
        self.assertIn("FAIL tcb.status: ConfigurationAndSWHardeningNeeded", out)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"accepted_tcb_statuses": ["ConfigurationAndSWHardeningNeeded"],
                       "measurements": {"MRENCLAVE": "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"}}, f)
        try:
            status, out = self.run_cli(*base, "--policy", f.name)
            self.assertEqual(status, 0, out)
            self.assertIn("PASS measurement.MRENCLAVE", out)
            self.assertIn("RESULT: verified", out)
        finally:
            os.unlink(f.name)


# --- remote appraisal against a local stand-in --------------------------------------------
class _Appraiser(BaseHTTPRequestHandler):
    """Answers like the original's attestation server: {"status": …} for a {"quote": base64} POST."""
    answer = {"status": "OK", "tcbStatus": "UpToDate", "advisoryIds": []}
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).seen.append((self.path, self.headers.get("Authorization"), self.headers.get("Content-Type"), body))
        if self.headers.get("Authorization") != "Bearer s3cret":
            self.send_response(401)
            self.end_headers()
            return
        payload = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class RemoteAppraisalTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import ssl
        from appraisal_standin import make_certificates
        cls.dir = tempfile.mkdtemp()
        ca, cert, key = make_certificates(cls.dir)
        cls.ca = ca
        cls.server = HTTPServer(("127.0.0.1", 0), _Appraiser)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        cls.server.socket = context.wrap_socket(cls.server.socket, server_side=True)
        cls.url = "https://localhost:%d/verify" % cls.server.server_address[1]
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        shutil.rmtree(cls.dir)

    def appraise(self, token="s3cret", answer=None):
        _Appraiser.answer = answer or {"status": "OK", "tcbStatus": "UpToDate", "advisoryIds": []}
        _Appraiser.seen = []
        report = ev.VerificationReport()
        evidence.appraise_remotely(report, read("tdx-v4-dcap-qvl/quote.bin"), self.url, token, self.ca)
        return report.check("remote-appraisal")

    def test_sends_the_original_request_and_accepts_ok(self):
        check = self.appraise()
        self.assertTrue(check.passed, check.detail)
        path, auth, ctype, body = _Appraiser.seen[0]
        self.assertEqual((path, auth, ctype), ("/verify", "Bearer s3cret", "application/json"))
        import base64
        self.assertEqual(base64.b64decode(json.loads(body)["quote"]), read("tdx-v4-dcap-qvl/quote.bin"))

    def test_refuses_other_statuses_a_bad_token_and_garbage(self):
        self.assertFalse(self.appraise(answer={"status": "TCB_OUT_OF_DATE", "advisoryIds": ["INTEL-SA-00615"]}).passed)
        self.assertIn("INTEL-SA-00615", self.appraise(answer={"status": "TCB_REVOKED", "advisoryIds": ["INTEL-SA-00615"]}).detail)
        self.assertIn("401", self.appraise(token="wrong").detail)
        self.assertIn("no \"status\"", self.appraise(answer={"verdict": "OK"}).detail)

    def test_refuses_an_untrusted_server(self):
        report = ev.VerificationReport()
        evidence.appraise_remotely(report, b"quote", self.url, "s3cret", None)  # system roots: our test CA is unknown
        self.assertFalse(report.check("remote-appraisal").passed)
        self.assertIn("CERTIFICATE_VERIFY_FAILED", report.check("remote-appraisal").detail)


if __name__ == "__main__":
    unittest.main()
