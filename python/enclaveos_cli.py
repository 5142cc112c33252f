"""Command line of the EnclaveOS verifier: ``python3 enclaveos_verify.py …`` runs :func:`main`.

Verifies a server's RA-TLS certificate (``--host`` or ``--pem``) or raw hardware evidence
(``--evidence``), with collateral, a verification time, a policy and optional remote appraisal.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from typing import Optional, Sequence

from cryptography import x509

import enclaveos_evidence as evidence
from enclaveos_verify import (EVIDENCE_OIDS, SIMULATED, VerificationReport, _extension_values, evidence_format,
                              fetch_peer_certificate, load_certificate, verify_certificate)


def _parse_time(text: str) -> _dt.datetime:
    try:
        return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise ValueError("--at %r: expected YYYY-MM-DDTHH:MM:SSZ (UTC)" % text) from None


def _policy(args) -> "evidence.Policy":
    """The policy file (if any) with the command-line options applied on top."""
    if args.policy:
        with open(args.policy, "rb") as f:
            policy = evidence.Policy.from_json(f.read(evidence.MAX_POLICY_FILE + 1))
    else:
        policy = evidence.Policy()
    if args.accept_tcb:
        bad = [s for s in args.accept_tcb if s not in evidence.TCB_STATUSES or s == "Revoked"]
        if bad:
            raise ValueError("--accept-tcb %s: not an acceptable TCB status" % ", ".join(bad))
        policy.accepted_tcb_statuses = tuple(args.accept_tcb)
    policy.allow_debug = policy.allow_debug or args.allow_debug
    for item in args.expect_measurement:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError("--expect-measurement %r: expected NAME=HEX" % item)
        policy.measurements.pop(name, None)  # an option replaces the file's value, checked last (as in Swift)
        policy.measurements[name] = bytes.fromhex(value)
    if args.expect_report_data:
        policy.report_data = bytes.fromhex(args.expect_report_data)
    return policy


def main(argv: Optional[Sequence[str]] = None) -> int:
    """CLI: prints every check; exit status 0 only if all pass."""
    p = argparse.ArgumentParser(description="Verify an EnclaveOS RA-TLS certificate, or raw hardware evidence.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--host", help="server to connect to")
    src.add_argument("--pem", help="read the certificate from a PEM or DER file instead")
    src.add_argument("--evidence", help="verify a raw SGX/TDX quote or SEV-SNP report file instead of a certificate")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--sni", help="server name to send (a loaded app's hostname selects its certificate)")
    p.add_argument("--nonce", help="hex nonce of a challenge-mode certificate (default: deterministic binding)")
    p.add_argument("--expect-code-hash", help="hex SHA-256 of the app's .wasm")
    p.add_argument("--expect-oid", action="append", default=[], metavar="OID=HEX", help="expected raw extension value")
    p.add_argument("--allow-simulated", action="store_true", help="accept MOCK_QUOTE evidence (development only)")
    p.add_argument("--ca-cert", metavar="FILE", help="operator CA (PEM or DER) that must have signed the leaf (enclave-os --ca-cert)")
    p.add_argument("--collateral", metavar="DIR", help="Intel PCS files or the AMD VCEK (docs/attestation.md)")
    p.add_argument("--at", metavar="TIME", help="verification time, YYYY-MM-DDTHH:MM:SSZ (default: now)")
    p.add_argument("--policy", metavar="FILE", help="policy file (JSON, docs/attestation.md)")
    p.add_argument("--accept-tcb", action="append", default=[], metavar="STATUS", help="accepted TCB status (repeatable; replaces the policy's list)")
    p.add_argument("--allow-debug", action="store_true", help="accept debug enclaves, TDs and SNP guests")
    p.add_argument("--expect-measurement", action="append", default=[], metavar="NAME=HEX", help="required measured value, e.g. MRENCLAVE=…")
    p.add_argument("--expect-report-data", metavar="HEX", help="required report data (raw evidence only)")
    p.add_argument("--appraisal-url", help="also POST the evidence to an attestation server (https://)")
    p.add_argument("--appraisal-token", help="bearer token for the attestation server")
    p.add_argument("--appraisal-ca", metavar="FILE", help="CA bundle for the attestation server (default: system roots)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    try:
        policy = _policy(args)
        at = _parse_time(args.at) if args.at else _dt.datetime.now(_dt.timezone.utc)
        if args.evidence:
            with open(args.evidence, "rb") as f:
                data = f.read(evidence.MAX_EVIDENCE + 1)
            report = evidence.verify_evidence(data, args.collateral, at, policy, VerificationReport())
        else:
            if args.pem:
                with open(args.pem, "rb") as f:
                    der = load_certificate(f.read())
            else:
                der = fetch_peer_certificate(args.host, args.port, args.sni)
            expected = {}
            for item in args.expect_oid:
                oid, sep, value = item.partition("=")
                if not sep:
                    raise ValueError("--expect-oid %r: expected OID=HEX" % item)
                expected[oid] = bytes.fromhex(value)
            report = verify_certificate(
                der,
                nonce=bytes.fromhex(args.nonce) if args.nonce else None,
                allow_simulated=args.allow_simulated,
                code_hash=bytes.fromhex(args.expect_code_hash) if args.expect_code_hash else None,
                extensions=expected,
                now=at if args.at else None,  # the certificate's own validity only at an explicit time
                collateral_dir=args.collateral,
                policy=policy,
                ca_cert=load_certificate(open(args.ca_cert, "rb").read()) if args.ca_cert else None,
            )
            data = evidence_bytes(der)
        if args.appraisal_url and data is None:
            report.record("remote-appraisal", False, "the certificate carries no hardware evidence to appraise")
        elif args.appraisal_url:
            evidence.appraise_remotely(report, data, args.appraisal_url, args.appraisal_token, args.appraisal_ca)
    except (OSError, ValueError) as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    print(json.dumps(report.to_json(), indent=2) if args.json else report)
    return 0 if report.passed else 1


def evidence_bytes(cert_der: bytes) -> Optional[bytes]:
    """The hardware evidence a certificate carries (None for none, several, or simulated)."""
    values = _extension_values(x509.load_der_x509_certificate(cert_der))
    found = [(oid, values[oid]) for oid in EVIDENCE_OIDS if oid in values]
    if len(found) != 1 or evidence_format(*found[0]) == SIMULATED:
        return None
    return found[0][1]
