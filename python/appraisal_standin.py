"""A local stand-in for the original's attestation server, for tests only.

It speaks the request shape of Privasys/ra-tls-clients: ``POST <url>`` with the JSON body
``{"quote": "<standard base64>"}``, ``Content-Type: application/json`` and an optional
``Authorization: Bearer <token>``; it answers ``{"status": …, "tcbStatus": …, "advisoryIds": […]}``.
It appraises nothing: the answer is fixed by ``--answer``.

    python3 appraisal_standin.py --dir DIR [--token T] [--answer JSON]

writes DIR/ca.pem (the CA a client must trust), serves HTTPS on 127.0.0.1 (certificate for
``localhost``), prints ``listening on PORT`` and appends each request to DIR/requests.jsonl.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import ssl
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MAX_BODY = 1 << 20


def make_certificates(directory: str):
    """A throwaway CA and a `localhost` leaf; returns (ca.pem, leaf.pem, leaf-key.pem) paths."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "appraisal stand-in CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(directory, n) for n in ("ca.pem", "leaf.pem", "leaf-key.pem")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(leaf.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tuple(paths)


def serve(directory: str, token: str, answer: dict) -> None:
    log = os.path.join(directory, "requests.jsonl")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(min(length, MAX_BODY))
            with open(log, "a") as f:
                f.write(json.dumps({"path": self.path, "authorization": self.headers.get("Authorization"),
                                    "content_type": self.headers.get("Content-Type"), "body": body.decode("utf-8", "replace")}) + "\n")
            if token and self.headers.get("Authorization") != "Bearer " + token:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    _, cert, key = make_certificates(directory)
    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--token", default="")
    p.add_argument("--answer", default='{"status": "OK", "tcbStatus": "UpToDate", "advisoryIds": []}')
    args = p.parse_args()
    serve(args.dir, args.token, json.loads(args.answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
