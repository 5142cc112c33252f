"""Hardware evidence verification for EnclaveOS: SGX/TDX DCAP quotes and SEV-SNP reports, checked to
the vendor roots with collateral from files, at a chosen time, under a policy.

Mirror of Sources/Attestation/Evidence/ (Swift): same check names, same policy file format
(docs/attestation.md, "Policy file"), same remote appraisal request.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import ssl
import urllib.request
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import enclaveos_dcap_verify as dcapv
import enclaveos_snp as snp

SGX_QUOTE, TDX_QUOTE, SEV_SNP_REPORT = "sgx-quote", "tdx-quote", "sev-snp-report"
MAX_EVIDENCE = 64 * 1024           # a quote with its PCK chain is ~5 KB, an SNP report 1184 bytes
MAX_POLICY_FILE = 64 * 1024
MAX_APPRAISAL_RESPONSE = 64 * 1024
# Accepted without a policy: the original's clients' secure floor.
DEFAULT_ACCEPTED_TCB = ("UpToDate", "SWHardeningNeeded")
TCB_STATUSES = ("UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
                "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked")
# The original's attestation-server verdicts (ra-tls-clients QuoteVerificationStatus).
APPRAISAL_STATUSES = ("OK", "TCB_OUT_OF_DATE", "CONFIGURATION_NEEDED", "SW_HARDENING_NEEDED",
                      "CONFIGURATION_AND_SW_HARDENING_NEEDED", "TCB_REVOKED", "TCB_EXPIRED", "PLATFORM_NOT_ALLOWED")


@dataclass
class Policy:
    """What the relying party accepts. Measurement values are the raw bytes as they sit in the evidence."""
    accepted_tcb_statuses: Sequence[str] = DEFAULT_ACCEPTED_TCB
    allow_debug: bool = False
    measurements: Dict[str, bytes] = field(default_factory=dict)
    report_data: Optional[bytes] = None

    @classmethod
    def from_json(cls, text: bytes) -> "Policy":
        """Parses a policy file (docs/attestation.md); raises ValueError naming the bad field."""
        if len(text) > MAX_POLICY_FILE:
            raise ValueError("policy file is larger than %d bytes" % MAX_POLICY_FILE)
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("policy file must be a JSON object")
        unknown = set(doc) - {"accepted_tcb_statuses", "allow_debug", "measurements", "report_data"}
        if unknown:
            raise ValueError("policy file: unknown field(s) %s" % ", ".join(sorted(unknown)))
        statuses = doc.get("accepted_tcb_statuses", list(DEFAULT_ACCEPTED_TCB))
        if not isinstance(statuses, list) or any(s not in TCB_STATUSES for s in statuses):
            raise ValueError("policy file: accepted_tcb_statuses must list statuses from %s" % ", ".join(TCB_STATUSES))
        if "Revoked" in statuses:
            raise ValueError("policy file: Revoked can never be accepted")
        allow_debug = doc.get("allow_debug", False)
        if not isinstance(allow_debug, bool):
            raise ValueError("policy file: allow_debug must be true or false")
        measurements = {}
        table = doc.get("measurements") or {}
        if not isinstance(table, dict):
            raise ValueError("policy file: measurements must be an object of NAME: hex")
        for name in sorted(table):  # checked in name order, as the Swift verifier does
            measurements[name] = _hex(table[name], "measurements.%s" % name)
        report_data = _hex(doc["report_data"], "report_data") if "report_data" in doc else None
        return cls(tuple(statuses), allow_debug, measurements, report_data)


def _hex(value, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        raise ValueError("policy file: %s must be a hex string" % what) from None


def detect_format(data: bytes) -> Optional[str]:
    """SGX or TDX DCAP quote (version 3-5, key type 2) or an SEV-SNP report (version 2-5, algorithm 1)."""
    if len(data) >= 48 and int.from_bytes(data[0:2], "little") in (3, 4, 5) and int.from_bytes(data[2:4], "little") == 2:
        tee = int.from_bytes(data[4:8], "little")
        return TDX_QUOTE if tee == 0x81 else SGX_QUOTE
    if len(data) >= snp.REPORT_SIZE and 2 <= int.from_bytes(data[0:4], "little") <= 5 and int.from_bytes(data[0x34:0x38], "little") == 1:
        return SEV_SNP_REPORT
    return None


def load_collateral(fmt: str, directory: Optional[str]):
    """The collateral for `fmt` from a directory, or None when no directory is given."""
    if directory is None:
        return None
    return snp.load_amd_collateral(directory) if fmt == SEV_SNP_REPORT else dcapv.load_intel_collateral(directory)


def verify_hardware_evidence(report, fmt: str, data: bytes, collateral, at: _dt.datetime, policy: Policy) -> Optional[bytes]:
    """Records the evidence checks on `report`; returns the evidence's report data (None if unparsed)."""
    if len(data) > MAX_EVIDENCE:
        report.record("quote.structure" if fmt != SEV_SNP_REPORT else "report.structure", False, "evidence is %d bytes, more than %d" % (len(data), MAX_EVIDENCE))
        return None
    if fmt == SEV_SNP_REPORT:
        parsed = snp.verify_report(report, data, collateral, at, policy)
    else:
        parsed = dcapv.verify_quote(report, data, collateral, at, policy)
        if parsed is not None and (fmt == TDX_QUOTE) != parsed.is_tdx:
            report.record("evidence.kind", False, "%s carried where a %s was expected" % ("TDX quote" if parsed.is_tdx else "SGX quote", fmt))
    if parsed is None:
        return None
    found = dict(report.measurements)
    for name, value in policy.measurements.items():
        got = found.get(name)
        report.record("measurement." + name, got == value,
                      "found %s, expected %s" % (got.hex(), value.hex()) if got is not None else "evidence has no " + name)
    if policy.report_data is not None:
        ok = parsed.report_data == policy.report_data
        report.record("report-data", ok, "%s%s" % (parsed.report_data.hex(), "" if ok else ", expected " + policy.report_data.hex()))
    return parsed.report_data


# --- remote appraisal (the original's attestation-server request) -----------------------
def appraisal_request(evidence: bytes) -> bytes:
    """The body the original's clients POST: {"quote": "<standard base64>"}."""
    return json.dumps({"quote": base64.b64encode(evidence).decode("ascii")}).encode()


def appraisal_verdict(body: bytes, accepted: Sequence[str] = ("OK",)) -> Tuple[bool, str]:
    """(accepted?, detail) from the server's {"status": …, "tcbStatus"?, "advisoryIds"?} answer."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False, "appraisal answer is not JSON"
    if not isinstance(doc, dict) or not isinstance(doc.get("status"), str):
        return False, "appraisal answer has no \"status\" string"
    status = doc["status"]
    advisories = doc.get("advisoryIds") or []
    detail = "status %s%s%s" % (status, ", tcbStatus " + str(doc["tcbStatus"]) if doc.get("tcbStatus") else "",
                                ", advisories " + ", ".join(map(str, advisories)) if advisories else "")
    known = status in APPRAISAL_STATUSES
    ok = known and status != "TCB_REVOKED" and status in accepted
    return ok, detail if known else detail + " (not a status this client knows)"


def appraise_remotely(report, evidence: bytes, url: str, token: Optional[str] = None, cafile: Optional[str] = None,
                      accepted: Sequence[str] = ("OK",), timeout: float = 10.0) -> None:
    """POSTs the evidence to an attestation server and records `remote-appraisal`."""
    if not url.startswith("https://"):
        report.record("remote-appraisal", False, "appraisal URL must be https://, got %s" % url)
        return
    request = urllib.request.Request(url, data=appraisal_request(evidence), method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    context = ssl.create_default_context(cafile=cafile)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            body = response.read(MAX_APPRAISAL_RESPONSE + 1)
    except (OSError, ValueError) as exc:
        report.record("remote-appraisal", False, "%s: %s" % (url, exc))
        return
    if len(body) > MAX_APPRAISAL_RESPONSE:
        report.record("remote-appraisal", False, "%s: answer larger than %d bytes" % (url, MAX_APPRAISAL_RESPONSE))
        return
    ok, detail = appraisal_verdict(body, accepted)
    report.record("remote-appraisal", ok, "%s: %s; accepted: %s" % (url, detail, ", ".join(accepted)))


def not_checked(fmt: str) -> List[str]:
    """What verifying `fmt` evidence does not establish (the report's NOT CHECKED lines)."""
    if fmt == SEV_SNP_REPORT:
        return [
            "AMD publishes no TCB status for SEV-SNP: the VCEK proves REPORTED_TCB, whose acceptability is the policy's (pin REPORTED_TCB)",
            "revocation of the ASK or VCEK (AMD's CRL is not read) and freshness of the VCEK beyond its validity",
            "the launch ID block and the host's HOST_DATA mean only what a policy pins",
        ]
    return [
        "revocation and TCB status are as current as the collateral files given: nothing is fetched from Intel PCS",
        "TDX RTMR event logs are not replayed: RTMRs are only compared with pinned values" if fmt == TDX_QUOTE
        else "SGX KSS fields (ISVEXTPRODID, ISVFAMILYID, CONFIGID) mean only what a policy pins",
    ]


def verify_evidence(data: bytes, collateral_dir: Optional[str], at: _dt.datetime, policy: Policy, report):
    """Verifies raw evidence (a quote or report file) into `report`; returns it."""
    fmt = detect_format(data)
    if fmt is None:
        report.record("evidence.present", False, "%d bytes are neither a DCAP quote (v3-v5, ECDSA-P256) nor an SEV-SNP report" % len(data))
        return report
    report.evidence_format = fmt
    report.record("evidence.present", True, "%s, %d bytes" % (fmt, len(data)))
    report.not_checked = not_checked(fmt)
    try:
        collateral = load_collateral(fmt, collateral_dir)
    except (OSError, ValueError) as exc:
        report.record("collateral.present", False, str(exc))
        return report
    verify_hardware_evidence(report, fmt, data, collateral, at, policy)
    return report
