"""Intel SGX / TDX DCAP quote verification (quote v3, v4, v5) against the Intel SGX Root CA.

Mirror of Sources/Attestation/Evidence/DCAP*.swift: same checks, same names, same order.
Every input is hostile: every length is bounds-checked and a malformed quote or collateral is a
failed check, never an exception out of :func:`verify_quote`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding

import enclaveos_roots as roots

OID_SGX_EXTENSION = "1.2.840.113741.1.13.1"
TEE_SGX, TEE_TDX = 0x00, 0x81
SGX_BODY, TD10_BODY, TD15_BODY = 384, 584, 648
MAX_CERT_DATA = 64 * 1024  # a PCK chain is ~4 KB; refuse absurd sizes from the wire
# Intel's TCB statuses, least to most severe (for merging the platform, module and QE verdicts).
TCB_SEVERITY = ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
                "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked"]


class QuoteError(ValueError):
    """The quote does not have the documented layout."""


def _u16(b: bytes, o: int) -> int:
    return int.from_bytes(b[o:o + 2], "little")


def _u32(b: bytes, o: int) -> int:
    return int.from_bytes(b[o:o + 4], "little")


class _Reader:
    def __init__(self, data: bytes, offset: int, end: int, what: str):
        self.data, self.offset, self.end, self.what = data, offset, end, what

    def take(self, n: int, field: str) -> bytes:
        if n < 0 or self.offset + n > self.end:
            raise QuoteError("%s: %s needs %d bytes at offset %d, only %d left" % (self.what, field, n, self.offset, self.end - self.offset))
        out = self.data[self.offset:self.offset + n]
        self.offset += n
        return out


@dataclass
class Quote:
    version: int
    tee_type: int
    body_type: int          # 1 SGX, 2 TD 1.0, 3 TD 1.5
    body: bytes
    signed: bytes           # header + body: what the attestation key signs
    signature: bytes        # r || s
    attestation_key: bytes  # x || y
    qe_report: bytes
    qe_report_signature: bytes
    qe_auth_data: bytes
    pck_chain_pem: bytes
    length: int             # end of the signature data: the quote proper
    trailing: int           # bytes after it, signed by nothing and ignored

    @property
    def is_tdx(self) -> bool:
        return self.body_type in (2, 3)

    @property
    def report_data(self) -> bytes:
        return self.body[520:584] if self.is_tdx else self.body[320:384]


def parse_quote(data: bytes) -> Quote:
    """Parses a DCAP quote (v3 SGX; v4 SGX/TDX; v5 with a body descriptor). Raises QuoteError."""
    if len(data) < 48:
        raise QuoteError("quote is %d bytes, shorter than its 48-byte header" % len(data))
    version, key_type, tee = _u16(data, 0), _u16(data, 2), _u32(data, 4)
    if key_type != 2:
        raise QuoteError("attestation key type %d, only 2 (ECDSA-256 with P-256) is supported" % key_type)
    if version == 3:
        body_type, body_size, body_at = 1, SGX_BODY, 48
    elif version == 4:
        if tee not in (TEE_SGX, TEE_TDX):
            raise QuoteError("TEE type 0x%x, expected 0x0 (SGX) or 0x81 (TDX)" % tee)
        body_type, body_size, body_at = (1, SGX_BODY, 48) if tee == TEE_SGX else (2, TD10_BODY, 48)
    elif version == 5:
        if len(data) < 54:
            raise QuoteError("quote v5 is %d bytes, shorter than header and body descriptor" % len(data))
        body_type, body_size, body_at = _u16(data, 48), _u32(data, 50), 54
        expected = {1: SGX_BODY, 2: TD10_BODY, 3: TD15_BODY}.get(body_type)
        if expected is None or expected != body_size:
            raise QuoteError("quote v5 body type %d with size %d is not SGX (1, 384), TD 1.0 (2, 584) or TD 1.5 (3, 648)" % (body_type, body_size))
        if (tee == TEE_TDX) != (body_type in (2, 3)):
            raise QuoteError("TEE type 0x%x does not match body type %d" % (tee, body_type))
    else:
        raise QuoteError("quote version %d, expected 3, 4 or 5" % version)
    r = _Reader(data, body_at, len(data), "quote")
    body = r.take(body_size, "report body")
    signed_end = r.offset
    sig_len = int.from_bytes(r.take(4, "signature data length"), "little")
    sig_end = r.offset + sig_len
    if sig_end > len(data):
        raise QuoteError("signature data length %d runs past the end of the %d-byte quote" % (sig_len, len(data)))
    s = _Reader(data, r.offset, sig_end, "signature data")
    signature = s.take(64, "quote signature")
    key = s.take(64, "attestation key")
    if version == 3:
        qe = _qe_section(s)
    else:
        cert_type = _u16(s.take(2, "certification data type"), 0)
        size = _u32(s.take(4, "certification data size"), 0)
        if cert_type != 6:
            raise QuoteError("certification data type %d, expected 6 (QE report certification data)" % cert_type)
        inner = _Reader(data, s.offset, s.offset + size, "QE report certification data")
        s.take(size, "QE report certification data")
        qe = _qe_section(inner)
    # Bytes after the signature data are covered by no signature: they are ignored (and named).
    return Quote(version, tee, body_type, body, data[:signed_end], signature, key, qe[0], qe[1], qe[2], qe[3], sig_end, len(data) - sig_end)


def _qe_section(r: _Reader) -> Tuple[bytes, bytes, bytes, bytes]:
    qe_report = r.take(384, "QE report")
    qe_sig = r.take(64, "QE report signature")
    auth = r.take(_u16(r.take(2, "QE auth data size"), 0), "QE auth data")
    cert_type = _u16(r.take(2, "certification data type"), 0)
    size = _u32(r.take(4, "certification data size"), 0)
    if cert_type != 5:
        raise QuoteError("certification data type %d, expected 5 (PCK certificate chain, PEM)" % cert_type)
    if size > MAX_CERT_DATA:
        raise QuoteError("PCK certificate chain of %d bytes exceeds %d" % (size, MAX_CERT_DATA))
    return qe_report, qe_sig, auth, r.take(size, "PCK certificate chain").rstrip(b"\0")


# --- measured values ---------------------------------------------------------------
def sgx_values(body: bytes) -> List[Tuple[str, bytes]]:
    return [("MRENCLAVE", body[64:96]), ("MRSIGNER", body[128:160]), ("ISVPRODID", body[256:258]),
            ("ISVSVN", body[258:260]), ("ATTRIBUTES", body[48:64]), ("MISCSELECT", body[16:20]),
            ("CPUSVN", body[0:16]), ("CONFIGID", body[192:256])]


def td_values(body: bytes) -> List[Tuple[str, bytes]]:
    values = [("MRTD", body[136:184])] + [("RTMR%d" % i, body[328 + 48 * i:376 + 48 * i]) for i in range(4)]
    values += [("MRSEAM", body[16:64]), ("MRSIGNERSEAM", body[64:112]), ("SEAM_ATTRIBUTES", body[112:120]),
               ("TD_ATTRIBUTES", body[120:128]), ("XFAM", body[128:136]), ("MRCONFIGID", body[184:232]),
               ("MROWNER", body[232:280]), ("MROWNERCONFIG", body[280:328]), ("TEE_TCB_SVN", body[0:16])]
    if len(body) == TD15_BODY:
        values += [("TEE_TCB_SVN2", body[584:600]), ("MRSERVICETD", body[600:648])]
    return values


# --- certificates, CRLs, signed JSON ---------------------------------------------------
def pem_certificates(pem: bytes) -> List[x509.Certificate]:
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem.replace(b"\r", b""), re.S)
    return [x509.load_pem_x509_certificate(b) for b in blocks]


def _raw_ecdsa_ok(public_key, raw: bytes, message: bytes, hash_algorithm) -> bool:
    half = len(raw) // 2
    der = utils.encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
    try:
        public_key.verify(der, message, ec.ECDSA(hash_algorithm))
        return True
    except (InvalidSignature, TypeError, ValueError):
        return False


def _p256_key(xy: bytes):
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + xy)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> Optional[str]:
    """None when `issuer` signed `cert` (ECDSA P-256/SHA-256 as Intel uses), else why not."""
    if cert.issuer != issuer.subject:
        return "issuer %s is not %s" % (cert.issuer.rfc4514_string(), issuer.subject.rfc4514_string())
    try:
        issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    except (InvalidSignature, TypeError, ValueError, AttributeError):
        return "signature of %s by %s does not verify" % (_cn(cert), _cn(issuer))
    return None


def _cn(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def verify_intel_chain(chain: Sequence[x509.Certificate], at: _dt.datetime) -> Optional[str]:
    """leaf ... root: each signed by the next, the last byte-equal to the pinned Intel SGX Root CA."""
    if len(chain) < 2:
        return "chain has %d certificate(s), needs a leaf and the root" % len(chain)
    if chain[-1].public_bytes(Encoding.DER) != roots.INTEL_SGX_ROOT_CA:
        return "root certificate %s is not the pinned Intel SGX Root CA" % _cn(chain[-1])
    for index, cert in enumerate(chain):
        issuer = chain[min(index + 1, len(chain) - 1)]
        why = _issued_by(cert, issuer)
        if why:
            return why
        if index > 0:
            try:
                if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                    return "%s is not a CA certificate" % _cn(cert)
            except x509.ExtensionNotFound:
                return "%s has no basicConstraints" % _cn(cert)
    return None


def certificates_current(chain: Sequence[x509.Certificate], at: _dt.datetime, expired_prefix: str = "") -> Optional[str]:
    """None when every certificate is valid at `at`, else which one is not and why."""
    for cert in chain:
        if at > cert.not_valid_after_utc:
            return "%scertificate %s expired: notAfter %s is before %s" % (expired_prefix, _cn(cert), _iso(cert.not_valid_after_utc), _iso(at))
        if at < cert.not_valid_before_utc:
            return "certificate %s is not yet valid: notBefore %s is after %s" % (_cn(cert), _iso(cert.not_valid_before_utc), _iso(at))
    return None


def signed_json_body(text: bytes, key: str) -> Tuple[bytes, bytes]:
    """(exact bytes of the signed object, signature) of `{"<key>":<object>,"signature":"<hex>"}`."""
    prefix = b'{"' + key.encode() + b'":'
    marker = b',"signature":"'
    start, end = text.find(prefix), text.rfind(marker)
    if start != 0 or end < 0:
        raise ValueError('expected {"%s":{…},"signature":"…"} exactly as Intel PCS serves it' % key)
    tail = text[end + len(marker):].rstrip()
    if not tail.endswith(b'"}'):
        raise ValueError("signature field is not the last field")
    signature = bytes.fromhex(tail[:-2].decode("ascii"))
    if len(signature) != 64:
        raise ValueError("signature is %d bytes, expected 64 (r || s)" % len(signature))
    return text[len(prefix):end], signature


def _iso(when: _dt.datetime) -> str:
    return when.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> _dt.datetime:
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)


# --- PCK certificate SGX extension -------------------------------------------------------
def _der(data: bytes, offset: int) -> Tuple[int, int, int]:
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag, first, start = data[offset], data[offset + 1], offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 3 or start + count > len(data):
            raise ValueError("bad DER length")
        length, start = int.from_bytes(data[start:start + count], "big"), start + count
    if start + length > len(data):
        raise ValueError("truncated DER")
    return tag, start, start + length


def _der_items(data: bytes, start: int, end: int) -> List[Tuple[int, int, int]]:
    items, offset = [], start
    while offset < end:
        tag, s, e = _der(data, offset)
        items.append((tag, s, e))
        offset = e
    return items


def _oid(content: bytes) -> str:
    parts, value = [content[0] // 40, content[0] % 40], 0
    for byte in content[1:]:
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


@dataclass
class PCKInfo:
    fmspc: bytes
    pce_id: bytes
    components: List[int]
    pce_svn: int


def pck_info(cert: x509.Certificate) -> PCKInfo:
    """FMSPC, PCE-ID, the 16 SGX TCB component SVNs and PCESVN from the SGX extension."""
    raw = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(OID_SGX_EXTENSION)).value.value
    tag, start, end = _der(raw, 0)
    fields: Dict[str, Tuple[int, bytes, int, int]] = {}
    for _, s, e in _der_items(raw, start, end):
        (otag, os_, oe), (vtag, vs, ve) = _der_items(raw, s, e)[:2]
        fields[_oid(raw[os_:oe])] = (vtag, raw[vs:ve], vs, ve)
    base = OID_SGX_EXTENSION
    tcb = fields[base + ".2"]
    comps: Dict[int, int] = {}
    for _, s, e in _der_items(raw, tcb[2], tcb[3]):
        (otag, os_, oe), (vtag, vs, ve) = _der_items(raw, s, e)[:2]
        last = int(_oid(raw[os_:oe]).rsplit(".", 1)[1])
        if vtag == 0x02:
            comps[last] = int.from_bytes(raw[vs:ve], "big")
    if any(i not in comps for i in range(1, 18)):
        raise ValueError("PCK certificate's TCB lacks some of components 1-16 or PCESVN")
    return PCKInfo(fields[base + ".4"][1], fields[base + ".3"][1], [comps[i] for i in range(1, 17)], comps[17])
