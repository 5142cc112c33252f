#!/usr/bin/env python3
"""Checks what an app got from EnclaveOS's SDK interfaces (crypto, keystore) against Python's
hashlib and PyPI `cryptography`, the reference for the SDK tests.

Reads JSON on stdin (byte strings as lowercase hex):
  {"data", "digests": [sha256, sha384, sha512],
   "p256": {"public", "signature"},              public: SEC1 uncompressed point
   "aes": {"key", "iv", "aad", "plaintext", "sealed"},
   "p384": {"public", "signature", "data"}}
Prints {"digests": bool, "p256": bool, "aes": bool, "p384": bool}.
"""
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def verifies(curve, digest, public, signature, data):
    key = ec.EllipticCurvePublicKey.from_encoded_point(curve, public)
    try:
        key.verify(signature, data, ec.ECDSA(digest))
        return True
    except InvalidSignature:
        return False


def main():
    j = json.load(sys.stdin)
    h = lambda s: bytes.fromhex(s)  # noqa: E731
    data = h(j["data"])
    digests = [hashlib.sha256(data).digest(), hashlib.sha384(data).digest(), hashlib.sha512(data).digest()]
    aes = j["aes"]
    out = {
        "digests": [h(d) for d in j["digests"]] == digests,
        "p256": verifies(ec.SECP256R1(), hashes.SHA256(), h(j["p256"]["public"]), h(j["p256"]["signature"]), data),
        "aes": AESGCM(h(aes["key"])).encrypt(h(aes["iv"]), h(aes["plaintext"]), h(aes["aad"])) == h(aes["sealed"]),
        "p384": verifies(ec.SECP384R1(), hashes.SHA384(), h(j["p384"]["public"]), h(j["p384"]["signature"]), h(j["p384"]["data"])),
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
