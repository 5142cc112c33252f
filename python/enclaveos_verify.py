"""Verify EnclaveOS RA-TLS certificates from Python.

EnclaveOS serves a TLS certificate whose extensions carry TEE evidence (an SGX or
TDX quote, an SEV-SNP report, or -- on machines without a TEE -- simulated
``MOCK_QUOTE:`` evidence) bound to the certificate's key, plus hashes of the
loaded apps and configuration. This module performs the same checks, with the
same check names, as the Swift ``AttestationVerifier`` (see docs/attestation.md).

Usage::

    import enclaveos_verify as ev

    der = ev.fetch_peer_certificate("127.0.0.1", 8443, sni="test-app")
    report = ev.verify_certificate(
        der,
        code_hash=bytes.fromhex("<sha256 of the app's .wasm>"),
        allow_simulated=True,            # only for development servers
    )
    print(report)                        # one PASS/FAIL line per check
    if not report.passed:
        raise SystemExit(1)

Command line::

    python3 enclaveos_verify.py --host 127.0.0.1 --port 8443 --sni test-app \\
        --expect-code-hash <hex> --allow-simulated
    python3 enclaveos_verify.py --pem cert.pem --nonce <hex> --json
    python3 enclaveos_verify.py --evidence quote.bin --collateral pcs/ --at 2025-07-01T00:00:00Z --policy policy.json

Hardware evidence (SGX/TDX DCAP quotes, SEV-SNP reports) is verified to the vendor roots with the
collateral given (``collateral_dir`` / ``--collateral DIR``) at a chosen time, under a policy
(enclaveos_evidence.py; docs/attestation.md, "Hardware evidence", says exactly what is and is not
verified). ``--evidence FILE`` verifies a raw quote or report. Python's ``ssl`` cannot send the
ClientHello extension 0xFFBB, so challenge-mode certificates must be obtained with another client;
``--nonce`` then verifies them.

Requires the ``cryptography`` package (tested with 48).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import socket
import ssl
import struct
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import enclaveos_dcap as dcap  # noqa: E402  (sibling modules, also when run as a script)
import enclaveos_evidence as evidence  # noqa: E402
import enclaveos_snp as snp  # noqa: E402

# --- OIDs (mirror of Sources/Attestation/AttestationOID.swift) -----------------
OID_SGX_QUOTE = "1.2.840.113741.1.13.1.0"
OID_TDX_QUOTE = "1.2.840.113741.1.5.5.1.6"
OID_SEV_SNP_REPORT = "1.3.6.1.4.1.65230.4.1"  # EnclaveOS-defined
OID_CONFIG_ROOT = "1.3.6.1.4.1.65230.1.1"
OID_EGRESS_CA_BUNDLE_HASH = "1.3.6.1.4.1.65230.2.1"
OID_APPS_HASH = "1.3.6.1.4.1.65230.2.3"
OID_APPS_HASH_ALIAS = "1.3.6.1.4.1.65230.2.5"  # the same value, the OID the original's clients read
OID_APP_CONFIG_ROOT = "1.3.6.1.4.1.65230.3.1"  # the original's formula (app_identity_root)
OID_APP_LABELLED_CONFIG_ROOT = "1.3.6.1.4.1.65230.99.3.1"  # EnclaveOS's labelled per-app root
OID_APP_CODE_HASH = "1.3.6.1.4.1.65230.3.2"
OID_APP_KEY_SOURCE = "1.3.6.1.4.1.65230.3.4"
EVIDENCE_OIDS = (OID_SGX_QUOTE, OID_TDX_QUOTE, OID_SEV_SNP_REPORT)

MOCK_PREFIX = b"MOCK_QUOTE:"
SERVER_ROOT_DOMAIN = "enclaveos/config-root/v1"
APP_ROOT_DOMAIN = "enclaveos/app-config-root/v1"

SIMULATED, SGX_QUOTE, TDX_QUOTE, SEV_SNP_REPORT = "simulated", "sgx-quote", "tdx-quote", "sev-snp-report"


# --- Hashes ----------------------------------------------------------------------
def minute_timestamp(when: _dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MMZ`` of ``when`` in UTC, truncated to the minute."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def report_data(spki_der: bytes, binding: bytes) -> bytes:
    """SHA-512(SHA-256(SubjectPublicKeyInfo DER) || binding): the 64 bytes in the evidence."""
    return hashlib.sha512(hashlib.sha256(spki_der).digest() + binding).digest()


def apps_hash(apps: Iterable[Tuple[str, bytes]]) -> bytes:
    """SHA-256(name1 || hash1 || ...) over (name, 32-byte code hash), sorted by UTF-8 name bytes."""
    h = hashlib.sha256()
    for name, code_hash in sorted(((n.encode("utf-8"), c) for n, c in apps), key=lambda a: a[0]):
        if len(code_hash) != 32:
            raise ValueError("code hash of %r must be 32 bytes" % name)
        h.update(name + code_hash)
    return h.digest()


def config_root(domain: str, leaves: Sequence[Tuple[str, bytes]]) -> bytes:
    """SHA-256(lp(domain) || lp(label1) || lp(value1) || ...), lp = 4-byte BE length || bytes."""
    def lp(b: bytes) -> bytes:
        return struct.pack(">I", len(b)) + b

    return hashlib.sha256(lp(domain.encode()) + b"".join(lp(l.encode()) + lp(v) for l, v in leaves)).digest()


def server_config_root(egress_ca_bundle_hash: bytes, apps_sha256: bytes) -> bytes:
    """The server config root (extension 1.3.6.1.4.1.65230.1.1)."""
    return config_root(SERVER_ROOT_DOMAIN, [("egress-ca-bundle-sha256", egress_ca_bundle_hash), ("apps-sha256", apps_sha256)])


def app_identity_root(code_hash: bytes, key_source: str) -> bytes:
    """The per-app config root as the original computes it (extension 1.3.6.1.4.1.65230.3.1):
    SHA-256(SHA-256(code hash) || SHA-256(key source UTF-8))."""
    return hashlib.sha256(hashlib.sha256(code_hash).digest() + hashlib.sha256(key_source.encode()).digest()).digest()


def app_config_root(hostname: str, code_hash: bytes, key_source: str, egress_ca_bundle_hash: bytes) -> bytes:
    """EnclaveOS's labelled per-app config root (extension 1.3.6.1.4.1.65230.99.3.1)."""
    return config_root(APP_ROOT_DOMAIN, [
        ("hostname", hostname.encode()),
        ("code-sha256", code_hash),
        ("key-source", key_source.encode()),
        ("egress-ca-bundle-sha256", egress_ca_bundle_hash),
    ])


# --- DER and evidence --------------------------------------------------------------
def _der_element(data: bytes, offset: int) -> Tuple[int, int, int]:
    """Returns (tag, content start, end) of the DER element at ``offset``."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag, first = data[offset], data[offset + 1]
    start = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    if start + length > len(data):
        raise ValueError("truncated DER")
    return tag, start, start + length


def subject_public_key_info_der(cert_der: bytes) -> bytes:
    """The SubjectPublicKeyInfo exactly as encoded in the certificate."""
    _, cert_start, _ = _der_element(cert_der, 0)
    _, tbs_start, tbs_end = _der_element(cert_der, cert_start)
    offset, fields = tbs_start, []
    while offset < tbs_end:
        tag, _, end = _der_element(cert_der, offset)
        fields.append((tag, offset, end))
        offset = end
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    if len(fields) < 6:
        raise ValueError("TBSCertificate has too few fields")
    _, start, end = fields[5]
    return cert_der[start:end]


def evidence_format(oid: str, data: bytes) -> Optional[str]:
    """Classifies evidence found under ``oid`` (the SGX OID also carries simulated evidence)."""
    if oid == OID_SGX_QUOTE:
        return SIMULATED if data.startswith(MOCK_PREFIX) else SGX_QUOTE
    return {OID_TDX_QUOTE: TDX_QUOTE, OID_SEV_SNP_REPORT: SEV_SNP_REPORT}.get(oid)


def parse_evidence(fmt: str, data: bytes) -> Tuple[bytes, List[Tuple[str, bytes]]]:
    """Returns (report data, [(measurement name, value)]) at the documented offsets. No signature check."""
    if fmt == SIMULATED:
        if not data.startswith(MOCK_PREFIX) or len(data) != len(MOCK_PREFIX) + 64:
            raise ValueError("simulated evidence must be MOCK_QUOTE: followed by 64 bytes, got %d bytes" % len(data))
        return data[len(MOCK_PREFIX):], []
    if fmt in (SGX_QUOTE, TDX_QUOTE):
        body = _quote_body(fmt, data)
        if fmt == TDX_QUOTE:
            return body[520:584], dcap.td_values(body)
        return body[320:384], dcap.sgx_values(body)
    if fmt == SEV_SNP_REPORT:
        if len(data) < 0x4A0:
            raise ValueError("sev-snp-report evidence is %d bytes, needs at least 1184" % len(data))
        return data[0x50:0x90], snp.report_values(snp.SNPReport(data[:0x4A0], 0, 0, b"", b"", 0))
    raise ValueError("unknown evidence format %r" % fmt)


def _quote_body(fmt: str, data: bytes) -> bytes:
    """The report body from the header alone (v3 SGX at 48; v4 at 48; v5 at 54 by its descriptor)."""
    tdx = fmt == TDX_QUOTE
    if len(data) < 48:
        raise ValueError("%s evidence is %d bytes, needs at least 48" % (fmt, len(data)))
    version, tee = int.from_bytes(data[0:2], "little"), int.from_bytes(data[4:8], "little")
    if (tdx and tee != 0x81) or (not tdx and version != 3 and tee != 0):
        raise ValueError("%s TEE type 0x%x, expected %s" % (fmt, tee, "0x81 (TDX)" if tdx else "0x0 (SGX)"))
    if version == 4 or (version == 3 and not tdx):
        offset, size = 48, 584 if tdx else 384
    elif version == 5 and len(data) >= 54:
        body_type = int.from_bytes(data[48:50], "little")
        if body_type not in ((2, 3) if tdx else (1,)):
            raise ValueError("%s v5 body type %d is not %s" % (fmt, body_type, "a TD report (2 or 3)" if tdx else "an SGX report (1)"))
        offset, size = 54, {1: 384, 2: 584, 3: 648}[body_type]
    else:
        raise ValueError("%s version %d, expected %s" % (fmt, version, "4 or 5" if tdx else "3, 4 or 5"))
    if len(data) < offset + size:
        raise ValueError("%s evidence is %d bytes, needs at least %d" % (fmt, len(data), offset + size))
    return data[offset:offset + size]


# --- Report ------------------------------------------------------------------------
@dataclass
class Check:
    """One named check; names match the Swift verifier's."""
    name: str
    passed: bool
    detail: str


@dataclass
class VerificationReport:
    """Every check performed, plus what the verifier does not establish."""
    checks: List[Check] = field(default_factory=list)
    evidence_format: Optional[str] = None
    measurements: List[Tuple[str, bytes]] = field(default_factory=list)
    not_checked: List[str] = field(default_factory=list)
    tcb_status: Optional[str] = None
    advisory_ids: List[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> List[Check]:
        return [c for c in self.checks if not c.passed]

    def check(self, name: str) -> Optional[Check]:
        return next((c for c in self.checks if c.name == name), None)

    def record(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(name, bool(passed), detail))

    def to_json(self) -> Dict:
        return {
            "passed": self.passed,
            "evidence_format": self.evidence_format,
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
            "measurements": {n: v.hex() for n, v in self.measurements},
            "not_checked": self.not_checked,
            "tcb_status": self.tcb_status,
            "advisory_ids": self.advisory_ids,
        }

    def __str__(self) -> str:
        lines = ["%s %s: %s" % ("PASS" if c.passed else "FAIL", c.name, c.detail) for c in self.checks]
        lines += ["INFO measurement %s = %s" % (n, v.hex()) for n, v in self.measurements]
        if self.tcb_status:
            lines.append("INFO tcb-status %s%s" % (self.tcb_status, " (%s)" % ", ".join(self.advisory_ids) if self.advisory_ids else ""))
        lines += ["NOT CHECKED " + item for item in self.not_checked]
        lines.append("RESULT: verified" if self.passed else "RESULT: FAILED (%s)" % ", ".join(c.name for c in self.failures))
        return "\n".join(lines)


# --- Certificate access --------------------------------------------------------------
def load_certificate(data: bytes) -> bytes:
    """Returns DER for a PEM or DER certificate."""
    if data.lstrip().startswith(b"-----BEGIN"):
        from cryptography.hazmat.primitives.serialization import Encoding
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return data


def fetch_peer_certificate(host: str, port: int = 8443, sni: Optional[str] = None, timeout: float = 10.0) -> bytes:
    """Connects with TLS 1.3 and returns the server's leaf certificate (DER).

    Chain validation is off on purpose: the certificate is self-signed and is
    trusted only through :func:`verify_certificate`. Do not send data over this
    connection; it is closed before returning.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as sock:
        with ctx.wrap_socket(sock, server_hostname=sni or host) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise ValueError("server at %s:%d presented no certificate" % (host, port))
    return der


def _extension_values(cert: x509.Certificate) -> Dict[str, bytes]:
    values = {}
    for ext in cert.extensions:
        if isinstance(ext.value, x509.UnrecognizedExtension):
            values[ext.oid.dotted_string] = ext.value.value
    return values


# --- Verification --------------------------------------------------------------------
def verify_certificate(
    cert_der: bytes,
    nonce: Optional[bytes] = None,
    allow_simulated: bool = False,
    accepted_formats: Optional[Iterable[str]] = None,
    code_hash: Optional[bytes] = None,
    extensions: Optional[Dict[str, bytes]] = None,
    measurements: Optional[Dict[str, bytes]] = None,
    apps: Optional[Iterable[Tuple[str, bytes]]] = None,
    now: Optional[_dt.datetime] = None,
    collateral_dir: Optional[str] = None,
    policy: Optional["evidence.Policy"] = None,
    ca_cert: Optional[bytes] = None,
) -> VerificationReport:
    """Verifies an EnclaveOS leaf certificate; never raises for bad input.

    nonce: challenge mode (the nonce sent in ClientHello 0xFFBB); None = deterministic
    (binding = the certificate's NotBefore as YYYY-MM-DDTHH:MMZ).
    extensions: {dotted OID: expected raw value}. apps: [(name, code hash)] expected loaded.
    Hardware evidence is verified to the vendor roots with the collateral in ``collateral_dir``
    at ``now`` (default: the current time) under ``policy`` (measurements are merged into it).
    ca_cert: the operator CA (DER) that must have signed the leaf (``enclave-os --ca-cert``);
    None: the leaf must sign itself.
    """
    report = VerificationReport()
    try:
        cert = x509.load_der_x509_certificate(cert_der)
        spki = subject_public_key_info_der(cert_der)
        values = _extension_values(cert)
        report.record("certificate.parse", True, "X.509 v3, %d bytes" % len(cert_der))
    except Exception as exc:  # any parse failure is a failed check, not a crash
        report.record("certificate.parse", False, "not a DER X.509 certificate: %s" % exc)
        return report

    if ca_cert is not None:
        _check_chain(cert, ca_cert, now, report)
    else:
        try:
            cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
            report.record("certificate.self-signature", True, "signed by its own key")
        except (InvalidSignature, TypeError, ValueError, AttributeError) as exc:
            hint = "" if cert.issuer == cert.subject else " (issued by %s: pass that CA's certificate, --ca-cert, to verify the chain)" % cert.issuer.rfc4514_string()
            report.record("certificate.self-signature", False, "signature does not verify with the certificate's key (%s)%s" % (type(exc).__name__, hint))
    if now is not None:
        nb, na = cert.not_valid_before_utc, cert.not_valid_after_utc
        report.record("certificate.validity", nb <= now <= na, "valid %s … %s, now %s" % (nb, na, now))

    found = [(oid, values[oid]) for oid in EVIDENCE_OIDS if oid in values]
    if len(found) != 1:
        report.record("evidence.present", False, "no evidence extension" if not found else "%d evidence extensions, expected exactly one" % len(found))
        return report
    oid, data = found[0]
    fmt = evidence_format(oid, data)
    report.record("evidence.present", True, "%s, %d bytes under %s" % (fmt, len(data), oid))
    report.evidence_format = fmt
    if fmt != SIMULATED:
        report.record("evidence.hardware", True, "%s evidence from TEE hardware (verified to the vendor root below)" % fmt)
        report.not_checked = evidence.not_checked(fmt)
    else:
        report.record("evidence.hardware", allow_simulated,
                      "SIMULATED evidence accepted because simulated attestation is allowed — it proves nothing about the platform or code"
                      if allow_simulated else
                      "SIMULATED evidence (MOCK_QUOTE): no TEE attests this server; allow simulated attestation only for development")
        report.not_checked = ["everything about the platform: simulated evidence is not produced by a TEE"]
    if accepted_formats is not None:
        accepted = sorted(set(accepted_formats))
        report.record("evidence.kind", fmt in accepted, "%s; accepted: %s" % (fmt, ", ".join(accepted)))
    try:
        rd, ms = parse_evidence(fmt, data)
        report.record("evidence.structure", True, "report data and %d measurement(s) read at documented offsets" % len(ms))
        report.measurements = ms
    except ValueError as exc:
        report.record("evidence.structure", False, str(exc))
        return report

    if nonce is None:
        label = "NotBefore " + minute_timestamp(cert.not_valid_before_utc)
        binding = minute_timestamp(cert.not_valid_before_utc).encode()
    else:
        label, binding = "nonce " + nonce.hex(), nonce
    expected_rd = report_data(spki, binding)
    report.record("report-data.binding", expected_rd == rd,
                  "SHA-512(SHA-256(SPKI) ‖ %s) matches the evidence" % label if expected_rd == rd else
                  "evidence carries %s…, recomputed with %s gives %s…" % (rd[:16].hex(), label, expected_rd[:16].hex()))

    if fmt != SIMULATED:
        policy = policy or evidence.Policy()
        merged = evidence.Policy(policy.accepted_tcb_statuses, policy.allow_debug, {**policy.measurements, **(measurements or {})}, policy.report_data)
        at = now or _dt.datetime.now(_dt.timezone.utc)
        try:
            collateral = evidence.load_collateral(fmt, collateral_dir)
        except (OSError, ValueError) as exc:
            report.record("collateral.present", False, str(exc))
        else:
            evidence.verify_hardware_evidence(report, fmt, data, collateral, at, merged)
    else:
        for name, value in (measurements or {}).items():
            got = dict(ms).get(name)
            report.record("measurement." + name, got == value,
                          "found %s, expected %s" % (got.hex(), value.hex()) if got is not None else "evidence has no " + name)

    _check_config_root(cert, values, report)
    if code_hash is not None:
        _compare(report, "code-hash", values.get(OID_APP_CODE_HASH), code_hash, OID_APP_CODE_HASH)
    if apps is not None:
        try:
            apps = list(apps)
            if not apps:
                found = values.get(OID_APPS_HASH)
                report.record("apps-hash", found is None,
                              "no apps hash: no app loaded" if found is None else "no app expected, found apps hash %s" % found.hex())
            else:
                _compare(report, "apps-hash", values.get(OID_APPS_HASH), apps_hash(apps), OID_APPS_HASH)
        except ValueError as exc:
            report.record("apps-hash", False, "expected apps list is invalid: %s" % exc)
    for ext_oid, value in (extensions or {}).items():
        _compare(report, "extension " + ext_oid, values.get(ext_oid), value, ext_oid)
    return report


def _check_chain(cert: x509.Certificate, ca_der: bytes, now: Optional[_dt.datetime], report: VerificationReport) -> None:
    """The leaf is issued and signed by the operator CA, valid at ``now``."""
    name = "certificate.chain"
    try:
        ca = x509.load_der_x509_certificate(ca_der)
    except ValueError:
        report.record(name, False, "the given CA certificate does not parse")
        return
    if cert.issuer != ca.subject:
        report.record(name, False, "issued by %s, not by the given CA %s" % (cert.issuer.rfc4514_string(), ca.subject.rfc4514_string()))
        return
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, TypeError, ValueError) as exc:
        report.record(name, False, "the signature does not verify with the given CA's key (%s)" % type(exc).__name__)
        return
    if now is not None and not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc:
        report.record(name, False, "the CA is valid %s … %s, not at %s" % (ca.not_valid_before_utc, ca.not_valid_after_utc, now))
        return
    report.record(name, True, "signed by the given CA %s" % ca.subject.rfc4514_string())


def _compare(report: VerificationReport, name: str, found: Optional[bytes], expected: bytes, oid: str) -> None:
    if found is None:
        report.record(name, False, "extension %s missing, expected %s" % (oid, expected.hex()))
    else:
        report.record(name, found == expected, found.hex() if found == expected else "found %s, expected %s" % (found.hex(), expected.hex()))


def _check_config_root(cert: x509.Certificate, values: Dict[str, bytes], report: VerificationReport) -> None:
    name = "config-root.consistency"
    if OID_CONFIG_ROOT in values:
        root = values[OID_CONFIG_ROOT]
        if OID_EGRESS_CA_BUNDLE_HASH not in values:
            report.record(name, False, "server config root present but egress bundle hash extension missing")
            return
        if values.get(OID_APPS_HASH) != values.get(OID_APPS_HASH_ALIAS):
            report.record(name, False, "apps hash %s and %s differ (or only one is present)" % (OID_APPS_HASH, OID_APPS_HASH_ALIAS))
            return
        again = server_config_root(values[OID_EGRESS_CA_BUNDLE_HASH], values.get(OID_APPS_HASH, b""))
        report.record(name, again == root, "server root %s %s recomputed %s" % (root.hex(), "=" if again == root else "≠", again.hex()))
    elif OID_APP_CONFIG_ROOT in values:
        root = values[OID_APP_CONFIG_ROOT]
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            san = []
        needed = (OID_APP_CODE_HASH, OID_APP_KEY_SOURCE, OID_EGRESS_CA_BUNDLE_HASH, OID_APP_LABELLED_CONFIG_ROOT)
        if any(o not in values for o in needed) or len(san) != 1:
            report.record(name, False, "app config root present but code hash, key source, egress hash, labelled root or the single DNS name is missing")
            return
        key_source = values[OID_APP_KEY_SOURCE].decode("utf-8", "replace")
        identity = app_identity_root(values[OID_APP_CODE_HASH], key_source)
        labelled = values[OID_APP_LABELLED_CONFIG_ROOT]
        again = app_config_root(san[0], values[OID_APP_CODE_HASH], key_source, values[OID_EGRESS_CA_BUNDLE_HASH])
        report.record(name, identity == root and again == labelled,
                      "app root %s %s recomputed %s; labelled root %s %s recomputed %s" % (
                          root.hex(), "=" if identity == root else "≠", identity.hex(),
                          labelled.hex(), "=" if again == labelled else "≠", again.hex()))
    else:
        report.record(name, False, "no config root extension (%s or %s)" % (OID_CONFIG_ROOT, OID_APP_CONFIG_ROOT))


# --- Command line ----------------------------------------------------------------------
def main(argv: Optional[Sequence[str]] = None) -> int:
    """CLI (enclaveos_cli.py): prints every check; exit status 0 only if all pass."""
    import enclaveos_cli  # the command line lives in its own module; it imports this one
    return enclaveos_cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
