"""Processes and a client for the cluster test: enclave-os nodes, HAProxy, the frame protocol
(framing shared with the other test clients: tests/frame_wire.py).

Standard library only, plus `cryptography` (tests/requirements.txt) to read certificate extensions.
"""
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from frame_wire import manage_compat, recv_exact  # noqa: E402  (tests/frame_wire.py)

CODE_HASH_OID = "1.3.6.1.4.1.65230.3.2"
APPS_HASH_OID = "1.3.6.1.4.1.65230.2.3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds, process=None, log=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}\n{tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {seconds} s\n{tail(log)}")


def tail(path, lines=40):
    if not path or not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-lines:])


class Connection:
    """One TLS connection speaking length-prefixed JSON frames; `sni` picks a node through HAProxy."""

    def __init__(self, port, sni=None, timeout=30.0):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # RA-TLS certificates are self-signed; checked below where it matters
        self.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout), server_hostname=sni)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def certificate(self):
        return self.sock.getpeercert(binary_form=True)

    def recv_exact(self, count):
        return recv_exact(self.sock, count)

    def manage(self, message):
        """Sends one management message (base64 payloads allowed) and returns its decoded answer."""
        return manage_compat(self.sock, message)

    def call(self, app, function, *strings):
        answer = self.manage({"wasm_call": {"app": app, "function": function,
                                            "params": [{"type": "string", "value": s} for s in strings]}})
        if answer.get("status") != "ok":
            raise RuntimeError(answer.get("message", repr(answer)))
        return answer["returns"][0]["value"]


def extension(der, oid):
    """The raw value of extension `oid` of a DER certificate, or None."""
    from cryptography import x509
    certificate = x509.load_der_x509_certificate(der)
    for ext in certificate.extensions:
        if ext.oid.dotted_string == oid:
            return ext.value.value
    return None


def sans(der):
    from cryptography import x509
    certificate = x509.load_der_x509_certificate(der)
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        return []


class Node:
    """One enclave-os process of the cluster."""

    def __init__(self, index, binary, work, store_url, egress_args):
        self.index = index
        self.binary = binary
        self.port = free_port()
        self.cluster_port = free_port()
        self.data = os.path.join(work, f"node{index}")
        self.log = os.path.join(work, f"node{index}.log")
        self.store_url = store_url
        self.egress_args = egress_args
        self.process = None

    @property
    def sni(self):
        return f"node{self.index}.cluster.test"

    def arguments(self, join=None):
        arguments = [self.binary, "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", self.data,
                     "--store", self.store_url, "--cluster-port", str(self.cluster_port), "--cluster-sync-ms", "200",
                     "--attestation", "simulated"] + self.egress_args
        if join is not None:
            arguments += ["--join", f"https://127.0.0.1:{join.cluster_port}"]
        return arguments

    def start(self, join=None, wait=True):
        log = open(self.log, "a")
        self.process = subprocess.Popen(self.arguments(join), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if wait:
            wait_for_port(self.port, 60, self.process, self.log)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def run_to_exit(self, join=None, seconds=60):
        """Runs a node that is expected to refuse to start; returns (exit status, log text)."""
        with open(self.log, "a") as log:
            status = subprocess.run(self.arguments(join), stdout=log, stderr=subprocess.STDOUT, timeout=seconds).returncode
        return status, tail(self.log)


class HAProxy:
    """HAProxy with the shipped deploy/haproxy/haproxy.cfg, its addresses from the environment."""

    def __init__(self, root, work, nodes):
        self.port = free_port()
        self.log = os.path.join(work, "haproxy.log")
        environment = dict(os.environ, ENCLAVEOS_BIND=f"127.0.0.1:{self.port}", ENCLAVEOS_DOMAIN="cluster.test")
        for node in nodes:
            environment[f"ENCLAVEOS_NODE{node.index}"] = f"127.0.0.1:{node.port}"
        config = os.path.join(root, "deploy", "haproxy", "haproxy.cfg")
        log = open(self.log, "a")
        self.process = subprocess.Popen(["haproxy", "-db", "-f", config], stdout=log, stderr=subprocess.STDOUT, env=environment)
        log.close()
        wait_for_port(self.port, 20, self.process, self.log)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
