"""AMD SEV-SNP attestation report verification: VCEK → ASK → ARK (RSASSA-PSS) and the report's
ECDSA P-384 signature, at a fixed time.

Mirror of Sources/Attestation/Evidence/SNP*.swift: same check names, same order.
"""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from dataclasses import dataclass
from typing import List, Optional, Tuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.hazmat.primitives.serialization import Encoding

import enclaveos_dcap as d
import enclaveos_roots as roots

REPORT_SIZE = 0x4A0
SIGNED_END = 0x2A0
OID_RSASSA_PSS = "1.2.840.113549.1.1.10"
OID_TCB = {"blSPL": "1.3.6.1.4.1.3704.1.3.1", "teeSPL": "1.3.6.1.4.1.3704.1.3.2", "snpSPL": "1.3.6.1.4.1.3704.1.3.3",
           "ucodeSPL": "1.3.6.1.4.1.3704.1.3.8", "fmcSPL": "1.3.6.1.4.1.3704.1.3.9"}
OID_HWID = "1.3.6.1.4.1.3704.1.4"
# Which byte of TCB_VERSION holds which SPL, per product line (AMD SEV-SNP ABI spec).
TCB_LAYOUT = {"Milan": {"blSPL": 0, "teeSPL": 1, "snpSPL": 6, "ucodeSPL": 7},
              "Genoa": {"blSPL": 0, "teeSPL": 1, "snpSPL": 6, "ucodeSPL": 7},
              "Turin": {"fmcSPL": 0, "blSPL": 1, "teeSPL": 2, "snpSPL": 3, "ucodeSPL": 7}}
POLICY_DEBUG_BIT = 19


class ReportError(ValueError):
    """The report does not have the documented layout."""


@dataclass
class SNPReport:
    data: bytes
    version: int
    policy: int
    reported_tcb: bytes
    chip_id: bytes
    trailing: int

    @property
    def report_data(self) -> bytes:
        return self.data[0x50:0x90]


def parse_report(data: bytes) -> SNPReport:
    if len(data) < REPORT_SIZE:
        raise ReportError("SEV-SNP report is %d bytes, needs %d" % (len(data), REPORT_SIZE))
    version, algo = d._u32(data, 0), d._u32(data, 0x34)
    if not 2 <= version <= 5:
        raise ReportError("SEV-SNP report version %d, expected 2 to 5" % version)
    if algo != 1:
        raise ReportError("signature algorithm %d, only 1 (ECDSA P-384 with SHA-384) is defined" % algo)
    return SNPReport(data[:REPORT_SIZE], version, int.from_bytes(data[8:16], "little"), data[0x180:0x188], data[0x1A0:0x1E0], len(data) - REPORT_SIZE)


def report_values(r: SNPReport) -> List[Tuple[str, bytes]]:
    b = r.data
    return [("MEASUREMENT", b[0x90:0xC0]), ("HOST_DATA", b[0xC0:0xE0]), ("ID_KEY_DIGEST", b[0xE0:0x110]),
            ("AUTHOR_KEY_DIGEST", b[0x110:0x140]), ("FAMILY_ID", b[0x10:0x20]), ("IMAGE_ID", b[0x20:0x30]),
            ("GUEST_SVN", b[4:8]), ("POLICY", b[8:16]), ("VMPL", b[0x30:0x34]), ("REPORTED_TCB", b[0x180:0x188]),
            ("CHIP_ID", b[0x1A0:0x1E0])]


@dataclass
class AMDCollateral:
    vcek: bytes
    ask_ark: Optional[bytes]


def load_amd_collateral(directory: str) -> AMDCollateral:
    from enclaveos_dcap_verify import read_file
    vcek = os.path.join(directory, "vcek.der")
    if not os.path.isfile(vcek):
        raise ValueError("collateral directory %s lacks vcek.der (the VCEK from AMD KDS for this chip and TCB)" % directory)
    chain = os.path.join(directory, "ask-ark.pem")
    return AMDCollateral(read_file(vcek), read_file(chain) if os.path.isfile(chain) else None)


def _cn(cert: x509.Certificate) -> str:
    return d._cn(cert)


def _pss_signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> Optional[str]:
    """None when `issuer` signed `cert` with RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48."""
    if cert.issuer != issuer.subject:
        return "%s is issued by %s, not by %s" % (_cn(cert), cert.issuer.rfc4514_string(), _cn(issuer))
    if cert.signature_algorithm_oid.dotted_string != OID_RSASSA_PSS or not isinstance(cert.signature_hash_algorithm, hashes.SHA384):
        return "%s is not signed with RSASSA-PSS/SHA-384" % _cn(cert)
    try:
        issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                   padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
    except (InvalidSignature, TypeError, ValueError, AttributeError):
        return "signature of %s by %s does not verify (RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48)" % (_cn(cert), _cn(issuer))
    return None


def product_of(vcek: x509.Certificate) -> Optional[str]:
    """The product line named by the VCEK's issuer (SEV-Milan, SEV-Genoa, SEV-Turin)."""
    issuer = vcek.issuer.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    name = str(issuer[0].value) if issuer else ""
    return next((p for p in roots.AMD_PRODUCTS if name == "SEV-" + p), None)


def verify_vcek_chain(vcek_der: bytes, ask_ark_pem: Optional[bytes], at: _dt.datetime = None) -> Tuple[Optional[str], Optional[x509.Certificate], Optional[str]]:
    """(problem or None, VCEK, product) for the signatures (validity dates: :func:`chain_of`).
    The ARK is pinned; the ASK comes from `ask_ark_pem` or is the pinned one of the product."""
    why, chain, product = chain_of(vcek_der, ask_ark_pem)
    return why, (chain[0] if chain else None), product


def chain_of(vcek_der: bytes, ask_ark_pem: Optional[bytes]) -> Tuple[Optional[str], List[x509.Certificate], Optional[str]]:
    """(problem or None, [VCEK, ASK, ARK] as far as they parsed, product)."""
    with warnings.catch_warnings():
        # Milan VCEKs encode a non-positive serial (RFC 5280 forbids it); cryptography warns, AMD ships them.
        warnings.filterwarnings("ignore", message=".*serial number which wasn't positive.*")
        vcek = x509.load_der_x509_certificate(vcek_der)
    product = product_of(vcek)
    if ask_ark_pem is not None:
        given = d.pem_certificates(ask_ark_pem)
        if len(given) != 2:
            return "ask-ark.pem holds %d certificates, expected the ASK then the ARK" % len(given), [vcek], product
        ask, ark = given
    else:
        if product is None:
            return "VCEK issuer %s names no known product line (Milan, Genoa, Turin)" % vcek.issuer.rfc4514_string(), [vcek], None
        ask = x509.load_der_x509_certificate(roots.amd_ask(product))
        ark = x509.load_der_x509_certificate(roots.amd_ark(product))
    ark_der = ark.public_bytes(Encoding.DER)
    pinned = next((p for p in roots.AMD_PRODUCTS if roots.amd_ark(p) == ark_der), None)
    if pinned is None:
        return "ARK %s is not a pinned AMD root (Milan, Genoa, Turin)" % _cn(ark), [vcek, ask, ark], product
    for cert, issuer in ((ark, ark), (ask, ark), (vcek, ask)):
        why = _pss_signed_by(cert, issuer)
        if why:
            return why, [vcek, ask, ark], product
    return None, [vcek, ask, ark], product


def _int_extension(vcek: x509.Certificate, oid: str) -> Optional[int]:
    try:
        raw = vcek.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid)).value.value
    except x509.ExtensionNotFound:
        return None
    tag, start, end = d._der(raw, 0)
    return int.from_bytes(raw[start:end], "big") if tag == 0x02 else None


def tcb_matches(vcek: x509.Certificate, report: SNPReport, product: str) -> Tuple[bool, str]:
    layout = TCB_LAYOUT[product]
    parts, wrong = [], []
    for name, index in layout.items():
        want = _int_extension(vcek, OID_TCB[name])
        have = report.reported_tcb[index]
        parts.append("%s %d" % (name, have))
        if want != have:
            wrong.append("%s: report %d, VCEK %s" % (name, have, want))
    try:
        hwid = vcek.extensions.get_extension_for_oid(x509.ObjectIdentifier(OID_HWID)).value.value
    except x509.ExtensionNotFound:
        hwid = b""
    if not hwid or report.chip_id[:len(hwid)] != hwid:
        wrong.append("VCEK hwID %s is not the report's CHIP_ID" % hwid.hex())
    if wrong:
        return False, "; ".join(wrong)
    return True, "REPORTED_TCB %s (%s) and CHIP_ID match the %s VCEK" % (report.reported_tcb.hex(), ", ".join(parts), product)


def report_signature_ok(vcek: x509.Certificate, report: SNPReport) -> bool:
    sig = report.data[SIGNED_END:SIGNED_END + 144]
    r, s = int.from_bytes(sig[:72], "little"), int.from_bytes(sig[72:144], "little")
    key = vcek.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP384R1):
        return False
    try:
        key.verify(utils.encode_dss_signature(r, s), report.data[:SIGNED_END], ec.ECDSA(hashes.SHA384()))
        return True
    except InvalidSignature:
        return False


def verify_report(report_obj, data: bytes, collateral: Optional[AMDCollateral], at: _dt.datetime, policy) -> Optional[SNPReport]:
    """Records every SEV-SNP check on `report_obj`; returns the parsed report (None if it does not parse)."""
    try:
        r = parse_report(data)
    except ReportError as exc:
        report_obj.record("report.structure", False, str(exc))
        return None
    report_obj.record("report.structure", True, "SEV-SNP report v%d, %d bytes signed%s" % (
        r.version, SIGNED_END, "; %d trailing bytes ignored (not signed)" % r.trailing if r.trailing else ""))
    report_obj.measurements = report_values(r)
    if collateral is None:
        report_obj.record("collateral.present", False, "no VCEK: the report's signature needs --collateral DIR with vcek.der (AMD KDS)")
    else:
        try:
            why, chain, product = chain_of(collateral.vcek, collateral.ask_ark)
        except ValueError as exc:
            why, chain, product = "VCEK does not parse: %s" % exc, [], None
        vcek = chain[0] if chain else None
        report_obj.record("amd.chain", why is None, why or "VCEK ← SEV-%s ← pinned ARK-%s (RSASSA-PSS SHA-384)" % (product or "?", product or "?"))
        expired = d.certificates_current(chain, at, "collateral expired: ") if vcek is not None else "no VCEK"
        report_obj.record("collateral.current", expired is None, expired or "VCEK, ASK and ARK valid at %s" % d._iso(at))
        ok = vcek is not None and report_signature_ok(vcek, r)
        report_obj.record("report.signature", ok, "bytes 0x000-0x29F signed by the VCEK (ECDSA P-384, SHA-384)" if ok else "report signature does not verify with the VCEK key")
        if vcek is not None and product is not None:
            ok, detail = tcb_matches(vcek, r, product)
            report_obj.record("tcb.vcek-match", ok, detail)
        else:
            report_obj.record("tcb.vcek-match", False, "no VCEK of a known product line to compare the TCB with")
    debug = bool(r.policy >> POLICY_DEBUG_BIT & 1)
    ok = not debug or policy.allow_debug
    report_obj.record("evidence.debug", ok, "guest policy 0x%x: %s" % (r.policy, ("DEBUG allowed, accepted by policy" if policy.allow_debug else "DEBUG allowed: the host can read guest memory; refused") if debug else "debugging not allowed"))
    return r
