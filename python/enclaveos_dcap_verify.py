"""Checks an Intel SGX/TDX DCAP quote with its collateral at a fixed time.

Mirror of Sources/Attestation/Evidence/DCAPVerifier.swift and TCBEvaluation.swift: same check
names, same order, same TCB rules (see docs/attestation.md, "Intel SGX and TDX").
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

import enclaveos_dcap as d

MAX_COLLATERAL_FILE = 1 << 20  # Intel's largest collateral (a PCK CRL) is tens of KiB


@dataclass
class IntelCollateral:
    """The PCS files of one platform, as in a `--collateral DIR` directory."""
    tcb_info: bytes
    qe_identity: bytes
    tcb_info_issuer_chain: bytes
    qe_identity_issuer_chain: bytes
    pck_crl: bytes
    root_ca_crl: bytes


INTEL_FILES = ("tcb-info.json", "qe-identity.json", "tcb-info-issuer-chain.pem",
               "qe-identity-issuer-chain.pem", "pck-crl.der", "root-ca-crl.der")


def read_file(path: str) -> bytes:
    with open(path, "rb") as f:
        data = f.read(MAX_COLLATERAL_FILE + 1)
    if len(data) > MAX_COLLATERAL_FILE:
        raise ValueError("%s is larger than %d bytes" % (path, MAX_COLLATERAL_FILE))
    return data


def load_intel_collateral(directory: str) -> IntelCollateral:
    """Reads the six PCS files; raises ValueError naming the first one missing."""
    missing = [n for n in INTEL_FILES if not os.path.isfile(os.path.join(directory, n))]
    if missing:
        raise ValueError("collateral directory %s lacks %s" % (directory, ", ".join(missing)))
    return IntelCollateral(*(read_file(os.path.join(directory, n)) for n in INTEL_FILES))


def _worse(a: str, b: str) -> str:
    rank = {s: i for i, s in enumerate(d.TCB_SEVERITY)}
    return a if rank.get(a, len(rank)) >= rank.get(b, len(rank)) else b


def converge_with_qe(platform: str, qe: str) -> str:
    """Intel QVL's convergence of the platform status with the QE identity status."""
    if qe == "Revoked":
        return "Revoked"
    if qe == "OutOfDate":
        if platform in ("UpToDate", "SWHardeningNeeded"):
            return "OutOfDate"
        if platform in ("ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded"):
            return "OutOfDateConfigurationNeeded"
    return platform


def match_tcb_level(tcb_info: dict, pck: d.PCKInfo, tee_tcb_svn: Optional[bytes]) -> Optional[dict]:
    """The first level whose SGX components and PCESVN (and TDX components) are all ≤ the platform's."""
    for level in tcb_info.get("tcbLevels", []):
        tcb = level["tcb"]
        sgx = [c["svn"] for c in tcb["sgxtcbcomponents"]]
        if len(sgx) != 16 or any(have < need for have, need in zip(pck.components, sgx)) or pck.pce_svn < tcb["pcesvn"]:
            continue
        if tee_tcb_svn is not None:
            tdx = [c["svn"] for c in tcb.get("tdxtcbcomponents", [])]
            # TEE_TCB_SVN[0..1] are the TDX module's SVN and version when the version is set:
            # the module identity judges those two bytes (Intel QVL).
            start = 2 if tee_tcb_svn[1] > 0 else 0
            if len(tdx) != 16 or any(tee_tcb_svn[i] < tdx[i] for i in range(start, 16)):
                continue
        return level
    return None


def _masked_equal(actual: bytes, expected_hex: str, mask_hex: str) -> bool:
    expected, mask = bytes.fromhex(expected_hex), bytes.fromhex(mask_hex)
    return len(actual) == len(expected) == len(mask) and all(a & m == e & m for a, e, m in zip(actual, expected, mask))


def tdx_module_status(tcb_info: dict, body: bytes) -> Tuple[bool, str, Optional[Tuple[str, List[str]]]]:
    """(ok, detail, (status, advisories) or None) for the TDX module (MRSIGNERSEAM, SEAM attributes, SVN)."""
    svn, version = body[0], body[1]
    module = tcb_info.get("tdxModule")
    if module is None:
        return False, "TCB info has no tdxModule", None
    identity, levels, label = module, None, "tdxModule"
    identities = tcb_info.get("tdxModuleIdentities") or []
    if version > 0 and identities:
        wanted = "TDX_%02X" % version
        identity = next((i for i in identities if i.get("id", "").upper() == wanted), None)
        if identity is None:
            return False, "no TDX module identity %s in the TCB info" % wanted, None
        levels, label = identity.get("tcbLevels", []), wanted
    if bytes.fromhex(identity["mrsigner"]) != body[64:112]:
        return False, "MRSIGNERSEAM %s is not %s's %s" % (body[64:112].hex(), label, identity["mrsigner"].lower()), None
    if not _masked_equal(body[112:120], identity["attributes"], identity["attributesMask"]):
        return False, "SEAM attributes %s do not match %s" % (body[112:120].hex(), label), None
    if levels is None:
        return True, "%s: MRSIGNERSEAM and SEAM attributes match (module version 0: no module TCB levels)" % label, None
    for level in levels:
        if svn >= level["tcb"]["isvsvn"]:
            status, adv = level["tcbStatus"], level.get("advisoryIDs") or []
            return True, "%s ISVSVN %d: %s" % (label, svn, status), (status, adv)
    return False, "%s ISVSVN %d is below every module TCB level" % (label, svn), None


def qe_identity_status(identity: dict, qe_report: bytes) -> Tuple[bool, str, Optional[Tuple[str, List[str]]]]:
    mrsigner, prodid, isvsvn = qe_report[128:160], int.from_bytes(qe_report[256:258], "little"), int.from_bytes(qe_report[258:260], "little")
    if bytes.fromhex(identity["mrsigner"]) != mrsigner:
        return False, "QE MRSIGNER %s is not %s" % (mrsigner.hex(), identity["mrsigner"].lower()), None
    if identity["isvprodid"] != prodid:
        return False, "QE ISVPRODID %d is not %d" % (prodid, identity["isvprodid"]), None
    if not _masked_equal(qe_report[16:20], identity["miscselect"], identity["miscselectMask"]):
        return False, "QE MISCSELECT %s does not match the identity" % qe_report[16:20].hex(), None
    if not _masked_equal(qe_report[48:64], identity["attributes"], identity["attributesMask"]):
        return False, "QE attributes %s do not match the identity" % qe_report[48:64].hex(), None
    for level in identity.get("tcbLevels", []):
        if isvsvn >= level["tcb"]["isvsvn"]:
            status, adv = level["tcbStatus"], level.get("advisoryIDs") or []
            return True, "%s ISVSVN %d: %s" % (identity.get("id", "QE"), isvsvn, status), (status, adv)
    return False, "QE ISVSVN %d is below every QE identity TCB level" % isvsvn, None


def _crl_problem(crl_der: bytes, issuer: x509.Certificate, revoked: List[x509.Certificate], label: str) -> Tuple[Optional[str], Optional[x509.CertificateRevocationList]]:
    try:
        crl = x509.load_der_x509_crl(crl_der)
    except ValueError as exc:
        return "%s does not parse: %s" % (label, exc), None
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
        return "%s is not signed by %s" % (label, d._cn(issuer)), crl
    for cert in revoked:
        if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
            return "%s is revoked by the %s" % (d._cn(cert), label), crl
    return None, crl


def _window(label: str, start: _dt.datetime, end: Optional[_dt.datetime], at: _dt.datetime) -> Optional[str]:
    if end is None:
        return "%s has no nextUpdate" % label
    if at > end:
        return "collateral expired: %s nextUpdate %s is before %s" % (label, d._iso(end), d._iso(at))
    if at < start:
        return "collateral not yet valid: %s issued %s, after %s" % (label, d._iso(start), d._iso(at))
    return None


def verify_quote(report, data: bytes, collateral: Optional[IntelCollateral], at: _dt.datetime, policy) -> Optional[d.Quote]:
    """Records every DCAP check on `report`; returns the parsed quote (None if it does not parse)."""
    try:
        quote = d.parse_quote(data)
    except d.QuoteError as exc:
        report.record("quote.structure", False, str(exc))
        return None
    kind = "TDX" if quote.is_tdx else "SGX"
    report.record("quote.structure", True, "%s quote v%d, body type %d, %d bytes signed, quote ends at %d%s" % (
        kind, quote.version, quote.body_type, len(quote.signed), quote.length,
        "; %d trailing bytes ignored (not signed)" % quote.trailing if quote.trailing else ""))
    report.measurements = d.td_values(quote.body) if quote.is_tdx else d.sgx_values(quote.body)

    chain: List[x509.Certificate] = []
    try:
        chain = d.pem_certificates(quote.pck_chain_pem)
        why = d.verify_intel_chain(chain, at) or d.certificates_current(chain, at)
    except ValueError as exc:
        why = "PCK certificate chain does not parse: %s" % exc
    report.record("quote.pck-chain", why is None, why or "PCK %s ← %s ← pinned Intel SGX Root CA" % (d._cn(chain[0]), d._cn(chain[1])))
    leaf = chain[0] if chain else None

    qe_ok = leaf is not None and d._raw_ecdsa_ok(leaf.public_key(), quote.qe_report_signature, quote.qe_report, hashes.SHA256())
    report.record("quote.qe-report-signature", qe_ok, "QE report signed by the PCK key" if qe_ok else "QE report signature does not verify with the PCK certificate's key")
    expected = hashlib.sha256(quote.attestation_key + quote.qe_auth_data).digest() + bytes(32)
    bound = quote.qe_report[320:384] == expected
    report.record("quote.qe-report-binding", bound, "QE report data = SHA-256(attestation key ‖ QE auth data) ‖ 0…" if bound else "QE report data does not commit to the attestation key")
    try:
        sig_ok = d._raw_ecdsa_ok(d._p256_key(quote.attestation_key), quote.signature, quote.signed, hashes.SHA256())
    except ValueError:
        sig_ok = False
    report.record("quote.signature", sig_ok, "header and report body signed by the attestation key" if sig_ok else "quote signature does not verify with the attestation key")

    if collateral is None:
        report.record("collateral.present", False, "no collateral: TCB status, QE identity and revocation need --collateral DIR (Intel PCS files)")
    else:
        _check_collateral(report, quote, chain, collateral, at, policy)
    _check_debug(report, quote, policy)
    return quote


def _signed_json(label: str, text: bytes, key: str, issuer_chain_pem: bytes, at: _dt.datetime):
    body, signature = d.signed_json_body(text, key)
    chain = d.pem_certificates(issuer_chain_pem)
    why = d.verify_intel_chain(chain, at)
    if why:
        raise ValueError("%s issuer chain: %s" % (label, why))
    if not d._raw_ecdsa_ok(chain[0].public_key(), signature, body, hashes.SHA256()):
        raise ValueError("%s signature does not verify with %s" % (label, d._cn(chain[0])))
    return json.loads(body), chain


def _check_collateral(report, quote: d.Quote, chain, collateral: IntelCollateral, at, policy) -> None:
    tcb_info = identity = None
    signing: List[x509.Certificate] = []
    try:
        tcb_info, signing = _signed_json("TCB info", collateral.tcb_info, "tcbInfo", collateral.tcb_info_issuer_chain, at)
        pck = d.pck_info(chain[0])
        wanted = "TDX" if quote.is_tdx else "SGX"
        problems = []
        if tcb_info.get("id", "SGX") != wanted:
            problems.append("TCB info id %s, quote needs %s" % (tcb_info.get("id"), wanted))
        if bytes.fromhex(tcb_info["fmspc"]) != pck.fmspc or bytes.fromhex(tcb_info["pceId"]) != pck.pce_id:
            problems.append("TCB info is for FMSPC %s / PCE-ID %s, the PCK certificate says %s / %s" % (
                tcb_info["fmspc"].lower(), tcb_info["pceId"], pck.fmspc.hex(), pck.pce_id.hex()))
        if problems:
            raise ValueError("; ".join(problems))
        report.record("collateral.tcb-info", True, "%s TCB info v%d for FMSPC %s, signed by %s" % (wanted, tcb_info["version"], pck.fmspc.hex(), d._cn(signing[0])))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        report.record("collateral.tcb-info", False, str(exc))
        tcb_info = None
    try:
        identity, qe_signing = _signed_json("QE identity", collateral.qe_identity, "enclaveIdentity", collateral.qe_identity_issuer_chain, at)
        signing = signing + qe_signing
        wanted = "TD_QE" if quote.is_tdx else "QE"
        if identity.get("id") != wanted:
            raise ValueError("QE identity id %s, the quote needs %s" % (identity.get("id"), wanted))
        report.record("collateral.qe-identity", True, "%s identity v%d" % (wanted, identity["version"]))
    except (ValueError, KeyError, TypeError) as exc:
        report.record("collateral.qe-identity", False, str(exc))
        identity = None

    root = chain[-1] if chain else None
    # The TCB info's and the QE identity's signers below the root.
    signing = [c for c in signing if c.public_bytes(d.Encoding.DER) != d.roots.INTEL_SGX_ROOT_CA]
    windows: List[Optional[str]] = []
    if len(chain) >= 2:
        why, pck_crl = _crl_problem(collateral.pck_crl, chain[1], [chain[0]], "PCK CRL")
        why2, root_crl = _crl_problem(collateral.root_ca_crl, root, chain[1:-1] + signing, "root CA CRL")
        why = why or why2
        for label, crl in (("PCK CRL", pck_crl), ("root CA CRL", root_crl)):
            if crl is not None:
                windows.append(_window(label, crl.last_update_utc, crl.next_update_utc, at))
    else:
        why = "no PCK chain to check against the CRLs"
    report.record("collateral.revocation", why is None, why or "PCK CRL and root CA CRL signed by their issuers; no certificate of the chains is revoked")

    for label, doc in (("TCB info", tcb_info), ("QE identity", identity)):
        if doc is not None:
            windows.append(_window(label, d.parse_time(doc["issueDate"]), d.parse_time(doc["nextUpdate"]), at))
    windows.append(d.certificates_current(signing, at, "collateral expired: "))
    expired = [w for w in windows if w]
    report.record("collateral.current", not expired, "; ".join(expired) if expired else "every certificate, CRL, TCB info and QE identity is valid at %s" % d._iso(at))

    qe = None
    if identity is not None:
        ok, detail, qe = qe_identity_status(identity, quote.qe_report)
        report.record("qe.identity", ok, detail)
    platform = module = None
    if tcb_info is not None:
        level = match_tcb_level(tcb_info, d.pck_info(chain[0]), quote.body[0:16] if quote.is_tdx else None)
        if level is None:
            report.record("tcb.level", False, "TCB level not supported: the platform's SVNs are below every TCB level of the TCB info")
        else:
            platform = (level["tcbStatus"], level.get("advisoryIDs") or [])
            report.record("tcb.level", True, "%s (TCB date %s)%s" % (platform[0], level.get("tcbDate"), _advisories(platform[1])))
        if quote.is_tdx:
            ok, detail, module = tdx_module_status(tcb_info, quote.body)
            report.record("tcb.tdx-module", ok, detail)
    _check_status(report, platform, module, qe, policy)


def _advisories(ids: List[str]) -> str:
    return ", advisories " + ", ".join(ids) if ids else ", no advisories"


def _check_status(report, platform, module, qe, policy) -> None:
    if platform is None or qe is None:
        report.record("tcb.status", False, "no TCB status: the platform TCB level or the QE identity was not established")
        return
    status, advisories = platform
    if module is not None:
        status = _worse(status, module[0])
        advisories = advisories + [a for a in module[1] if a not in advisories]
    status = converge_with_qe(status, qe[0])
    advisories = advisories + [a for a in qe[1] if a not in advisories]
    report.tcb_status, report.advisory_ids = status, advisories
    accepted = status in policy.accepted_tcb_statuses and status != "Revoked"
    report.record("tcb.status", accepted, "%s%s; accepted: %s" % (status, _advisories(advisories), ", ".join(sorted(policy.accepted_tcb_statuses))))


def _check_debug(report, quote: d.Quote, policy) -> None:
    if quote.is_tdx:
        debug = bool(quote.body[120] & 0x01)  # TD_ATTRIBUTES bit 0: TUD.DEBUG
        what = "TD attributes %s" % quote.body[120:128].hex()
    else:
        debug = bool(quote.body[48] & 0x02)   # ATTRIBUTES.FLAGS bit 1: DEBUG
        what = "enclave attributes %s" % quote.body[48:64].hex()
    ok = not debug or policy.allow_debug
    report.record("evidence.debug", ok, "%s: %s" % (what, ("DEBUG, allowed by policy" if policy.allow_debug else "DEBUG: the host can read its memory; refused") if debug else "not a debug enclave/TD"))
