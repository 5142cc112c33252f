#!/usr/bin/env python3
"""The cluster test: three enclave-os nodes over one private PostgreSQL, behind HAProxy on loopback.

    python3 tests/cluster/test_cluster.py [--binary .build/release/enclave-os]

Starts everything itself (PostgreSQL through private_postgres.py, the news fixture for the
seed test's egress, three nodes of which two join the first over mutual RA-TLS with simulated
evidence, HAProxy with deploy/haproxy/haproxy.cfg), then checks through HAProxy: loads seen by
every node and in every node's certificate, a write through one node read through the others,
concurrent writers, unload and upgrade propagation, kill -9 of a node during writes with
retrying clients (nothing acknowledged lost), a database crash, and the seed's integration test.
Prints one line per check and `N passed, M failed`; exits 1 on any failure.
"""
import argparse
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import private_postgres  # noqa: E402
from cluster_support import (APPS_HASH_OID, CODE_HASH_OID, Connection, HAProxy, Node, extension, sans,  # noqa: E402
                             tail, wait_for_port)

REFERENCE_APP = os.path.join(ROOT, "Guests", "wasm-app-example", "wasm-app-example.wasm")
TEST_GUEST = os.path.join(ROOT, "Guests", "test-guest", "test-guest.wasm")
SDK_GUEST = os.path.join(ROOT, "Guests", "c-sdk", "c-sdk.wasm")
APP_EXTENSION_ARC = "1.3.6.1.4.1.65230.3.5."
APP = "cluster-app"
PROPAGATION_BOUND = 5.0  # seconds: sync every 200 ms plus a restore, with room for a busy machine

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(f"{'ok  ' if condition else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)
    return condition


def read(path):
    with open(path, "rb") as f:
        return f.read()


def load(port, name, code, sni=None):
    with Connection(port, sni) as connection:
        return connection.manage({"wasm_load": {"name": name, "bytes": base64.b64encode(code).decode()}})


def until(seconds, probe):
    """Polls `probe` until it returns a truthy value or `seconds` pass; returns (value, elapsed)."""
    start = time.monotonic()
    while True:
        try:
            value = probe()
        except Exception:  # noqa: BLE001 - a node may be catching up; keep polling until the bound
            value = None
        if value or time.monotonic() - start > seconds:
            return value, time.monotonic() - start
        time.sleep(0.05)


def served_everywhere(proxy, nodes, app, expected_hello):
    def probe():
        for node in nodes:
            with Connection(proxy.port, node.sni) as connection:
                if connection.call(app, "hello") != expected_hello:
                    return False
        return True
    return until(PROPAGATION_BOUND, probe)


def app_certificate(node, hostname):
    """The certificate a node serves directly for SNI `hostname`."""
    with Connection(node.port, hostname) as connection:
        return connection.certificate()


class Writers:
    """Clients writing through HAProxy: each owns a key and writes value 1, 2, 3… with kv-store,
    reconnecting and retrying the same value after any failure, so every value is acknowledged
    before the next is written."""

    def __init__(self, port, count):
        self.port = port
        self.stop = threading.Event()
        self.acked = {f"key-{i}": 0 for i in range(count)}
        self.attempted = dict(self.acked)
        self.retries = 0
        self.errors = []
        self.threads = [threading.Thread(target=self.run, args=(key,), daemon=True) for key in self.acked]

    def start(self):
        for thread in self.threads:
            thread.start()

    def run(self, key):
        connection = None
        value = 0
        while not self.stop.is_set():
            value += 1
            self.attempted[key] = value
            deadline = time.monotonic() + 60
            while True:
                try:
                    if connection is None:
                        connection = Connection(self.port, timeout=10)
                    answer = connection.call(APP, "kv-store", key, f"value {value}")
                    if answer != f"stored: {key}":
                        raise RuntimeError(answer)
                    self.acked[key] = value
                    break
                except Exception as error:  # noqa: BLE001 - retried through HAProxy
                    self.retries += 1
                    if connection is not None:
                        connection.close()
                        connection = None
                    if time.monotonic() > deadline:
                        self.errors.append(f"{key} value {value}: {error}")
                        return
                    time.sleep(0.1)
        if connection is not None:
            connection.close()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "enclave-os"))
    args = parser.parse_args()
    if shutil.which("haproxy") is None:
        sys.exit("haproxy is not installed (apt-get install haproxy; scripts/test does it)")
    work = tempfile.mkdtemp(prefix="enclaveos-cluster-")
    if os.geteuid() == 0:
        os.chmod(work, 0o755)  # the postgres user must reach its directory inside
    processes = []
    pg_dir = os.path.join(work, "pg")
    try:
        run(args.binary, work, pg_dir, processes)
    except Exception as error:  # noqa: BLE001 - reported as a failed check, with the logs below
        check("the cluster test ran to its end", False, f"{type(error).__name__}: {error}")
    finally:
        for process in processes:
            process.stop()
        private_postgres.stop(pg_dir)
        failed = results.count(False)
        if failed:
            for name in sorted(os.listdir(work)):
                if name.endswith(".log"):
                    print(f"--- {name} (last lines)\n{tail(os.path.join(work, name))}")
        shutil.rmtree(work, ignore_errors=True)
    print(f"{results.count(True)} passed, {results.count(False)} failed")
    sys.exit(1 if results.count(False) or not results else 0)


class NewsFixture:
    """The local stand-in for www.lemonde.fr that the seed test's fetch-headlines reaches."""

    def __init__(self, work):
        fixture = os.path.join(ROOT, "tests", "fixtures", "news_server.py")
        certs = os.path.join(work, "news")
        subprocess.run([sys.executable, fixture, "gen-certs", certs, "--hostname", "www.lemonde.fr"], check=True,
                       stdout=subprocess.DEVNULL)
        self.log = os.path.join(work, "news.log")
        log = open(self.log, "w")
        self.process = subprocess.Popen([sys.executable, "-u", fixture, "serve", "--cert", os.path.join(certs, "leaf.pem"),
                                         "--key", os.path.join(certs, "leaf-key.pem")], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        port = None
        for _ in range(100):
            for line in open(self.log):
                if line.startswith("listening on 127.0.0.1:"):
                    port = int(line.strip().rsplit(":", 1)[1])
            if port:
                break
            time.sleep(0.1)
        if not port:
            raise RuntimeError(f"news fixture did not start\n{tail(self.log)}")
        self.egress_args = ["--egress-ca-bundle", os.path.join(certs, "ca.pem"),
                            "--egress-resolve", f"www.lemonde.fr:443=127.0.0.1:{port}"]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def run(binary, work, pg_dir, processes):
    started = time.monotonic()
    news = NewsFixture(work)
    processes.append(news)
    store = private_postgres.start(pg_dir)
    nodes = [Node(i, binary, work, store, news.egress_args) for i in (1, 2, 3)]
    processes.extend(nodes)
    nodes[0].start()
    nodes[1].start(join=nodes[0], wait=False)
    nodes[2].start(join=nodes[0], wait=False)
    for node in nodes[1:]:
        wait_for_port(node.port, 60, node.process, node.log)
    joined = all("joined through https://127.0.0.1:" in tail(node.log, 200) for node in nodes[1:])
    check("two nodes joined the first over mutual RA-TLS (simulated evidence)", joined)
    check("a key request without a member's evidence is refused in the handshake",
          refused_without_evidence(nodes[0].cluster_port))
    stranger = Node(4, binary, work, store, news.egress_args)
    status, log = stranger.run_to_exit()
    check("a fourth node without --join refuses to start on the cluster's database", status != 0 and "--join" in log,
          f"exit {status}")
    proxy = HAProxy(ROOT, work, nodes)
    processes.append(proxy)
    _, waited = until(20, lambda: all(ping(proxy.port, node.sni) for node in nodes))
    check("HAProxy routes by SNI to every node and its health checks see them", waited < 20, f"{waited:.1f} s")

    reference = read(REFERENCE_APP)
    before = [extension(app_certificate(node, "localhost"), APPS_HASH_OID) for node in nodes]
    answer = load(proxy.port, APP, reference)
    check("load through HAProxy", answer.get("status") == "loaded", str(answer)[:200])
    ok, elapsed = served_everywhere(proxy, nodes, APP, "Hello, World!")
    check(f"every node serves the app within {PROPAGATION_BOUND:.0f} s", ok, f"{elapsed * 1000:.0f} ms")
    certificates_follow(nodes, reference, before)

    with Connection(proxy.port, nodes[0].sni) as connection:
        stored = connection.call(APP, "kv-store", "shared-file", "written through node 1")
    reads = []
    for node in nodes[1:]:
        with Connection(proxy.port, node.sni) as connection:
            reads.append(connection.call(APP, "kv-read", "shared-file"))
    check("a file written through node 1 is read through nodes 2 and 3",
          stored == "stored: shared-file" and reads == ["written through node 1"] * 2, str(reads))

    concurrent_writers(proxy, nodes)
    sdk_across_nodes(proxy, nodes)
    unload_and_upgrade(proxy, nodes, reference)
    kill_during_writes(proxy, nodes)
    database_crash(proxy, nodes, pg_dir)

    seed = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "test_wasm_functions.py"), "--port", str(proxy.port)],
                          capture_output=True, text=True, timeout=300)
    check("the seed's integration test passes through HAProxy", seed.returncode == 0 and "ALL 6 TESTS PASSED" in seed.stdout,
          seed.stdout[-300:] if seed.returncode else "")
    print(f"(cluster test took {time.monotonic() - started:.0f} s)")


def ping(port, sni):
    try:
        with Connection(port, sni, timeout=3) as connection:
            connection.sock.sendall(b"\x00\x00\x00\x06\"Ping\"")
            return connection.recv_exact(10) == b"\x00\x00\x00\x06\"Pong\""
    except Exception:  # noqa: BLE001
        return False


def refused_without_evidence(cluster_port):
    """A TLS client with no certificate must not complete a request on the cluster port."""
    import socket
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with context.wrap_socket(socket.create_connection(("127.0.0.1", cluster_port), timeout=5)) as sock:
            request = b'{"cluster_key_request":{"key_check":"00"}}'
            sock.sendall(len(request).to_bytes(4, "big") + request)
            return sock.recv(4096) == b""  # TLS 1.3: the refusal arrives after the client's Finished
    except (ssl.SSLError, ConnectionError, OSError):
        return True


def certificates_follow(nodes, code, before):
    code_hash = hashlib.sha256(code).digest()
    per_app = [extension(app_certificate(node, APP), CODE_HASH_OID) for node in nodes]
    check("every node's per-app certificate (SNI) attests the app's code hash", per_app == [code_hash] * 3)
    after = [extension(app_certificate(node, "localhost"), APPS_HASH_OID) for node in nodes]
    check("every node's server certificate attests the same new apps hash",
          len(set(after)) == 1 and after[0] is not None and after[0] != before[0])


def concurrent_writers(proxy, nodes):
    values, seen, problems = set(), [], []
    lock = threading.Lock()

    def writer(node, worker):
        with Connection(proxy.port, node.sni) as connection:
            for round_ in range(15):
                # A new file every round: the writers also race to create it, where a create
                # based on a stale lookup used to replace another writer's acknowledged value.
                name = f"contended-{round_}"
                value = f"writer {worker} round {round_} " + "x" * (200 * worker)
                with lock:
                    values.add(value)
                if connection.call(APP, "kv-store", name, value) != f"stored: {name}":
                    problems.append("store failed")
                got = connection.call(APP, "kv-read", name)
                with lock:
                    seen.append(got)

    threads = [threading.Thread(target=writer, args=(nodes[i % 3], i)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    finals = []
    for node in nodes:
        with Connection(proxy.port, node.sni) as connection:
            finals.append(connection.call(APP, "kv-read", "contended-14"))
    whole = all(value in values for value in seen + finals)
    check("6 concurrent writers through 3 nodes to one new file per round: every read is one whole written value, "
          "all nodes agree",
          not problems and whole and len(set(finals)) == 1, f"{len(seen)} reads")


def typed_call(connection, app, function, params):
    answer = connection.manage({"wasm_call": {"app": app, "function": function, "params": params}})
    if answer.get("status") != "ok":
        raise RuntimeError(answer.get("message", repr(answer)))
    return answer["returns"][0]


def sdk_across_nodes(proxy, nodes):
    """The SDK guest: data sealed through one node opens through another (the cluster key is the
    sealing root everywhere), and an attestation extension set through one node shows in every
    node's certificate for the app."""
    answer = load(proxy.port, "sdk-app", read(SDK_GUEST), nodes[0].sni)
    ok, _ = until(PROPAGATION_BOUND, lambda: all(
        "sdk-app" in sans(app_certificate(node, "sdk-app")) for node in nodes))
    check("the SDK guest is served by every node", answer.get("status") == "loaded" and ok, str(answer)[:160])
    secret, aad = list(b"sealed through node 1"), list(b"context")
    with Connection(proxy.port, nodes[0].sni) as connection:
        sealed = typed_call(connection, "sdk-app", "seal", [{"type": "bytes", "value": secret}, {"type": "bytes", "value": aad}])
    with Connection(proxy.port, nodes[2].sni) as connection:
        opened = typed_call(connection, "sdk-app", "unseal", [sealed["value"]["ok"], {"type": "bytes", "value": aad}])
    check("data sealed through node 1 is unsealed through node 3", opened["value"]["ok"]["value"] == secret, str(opened)[:160])
    marker = list(b"set through node 2")
    with Connection(proxy.port, nodes[1].sni) as connection:
        result = typed_call(connection, "sdk-app", "attest", [{"type": "u32", "value": 7}, {"type": "bytes", "value": marker}])
    ok, elapsed = until(PROPAGATION_BOUND, lambda: all(
        extension(app_certificate(node, "sdk-app"), APP_EXTENSION_ARC + "7") == bytes(marker) for node in nodes))
    check("an attestation extension set through node 2 shows in every node's certificate",
          "ok" in result["value"] and ok, f"{elapsed * 1000:.0f} ms")


def unload_and_upgrade(proxy, nodes, reference):
    with Connection(proxy.port, nodes[1].sni) as connection:
        answer = connection.manage({"wasm_unload": {"name": APP}})
    check("unload through node 2", answer.get("status") == "unloaded", str(answer))

    def gone():
        for node in nodes:
            with Connection(proxy.port, node.sni) as connection:
                answer = connection.manage({"wasm_call": {"app": APP, "function": "hello", "params": []}})
                if answer.get("message") != f"unknown app: '{APP}'":
                    return False
        return True
    ok, elapsed = until(PROPAGATION_BOUND, gone)
    check(f"every node stops serving the unloaded app within {PROPAGATION_BOUND:.0f} s", ok, f"{elapsed * 1000:.0f} ms")
    check("no node serves the unloaded app's certificate any more",
          all(APP not in sans(app_certificate(node, APP)) for node in nodes))

    upgrade = read(TEST_GUEST)
    answer = load(proxy.port, APP, upgrade, nodes[2].sni)
    check("new code under the same name through node 3", answer.get("status") == "loaded", str(answer)[:200])

    def upgraded():
        return all(extension(app_certificate(node, APP), CODE_HASH_OID) == hashlib.sha256(upgrade).digest() for node in nodes)
    ok, elapsed = until(PROPAGATION_BOUND, upgraded)
    check("every node's certificate attests the new code", ok, f"{elapsed * 1000:.0f} ms")
    with Connection(proxy.port, nodes[0].sni) as connection:
        connection.manage({"wasm_unload": {"name": APP}})
    answer = load(proxy.port, APP, reference, nodes[0].sni)
    ok, _ = served_everywhere(proxy, nodes, APP, "Hello, World!")
    with Connection(proxy.port, nodes[1].sni) as connection:
        old = connection.call(APP, "kv-read", "shared-file")
    check("the reference app is back everywhere, with a new key: the old data is gone",
          ok and old == "error: key not found: shared-file", old)


def kill_during_writes(proxy, nodes):
    writers = Writers(proxy.port, 6)
    writers.start()
    time.sleep(1.5)
    victim = nodes[1]
    victim.kill()
    time.sleep(2.0)
    victim.start()
    time.sleep(1.5)
    writers.finish()
    check("writers through HAProxy kept going across kill -9 and restart of node 2", not writers.errors,
          f"{sum(writers.acked.values())} acknowledged writes, {writers.retries} retries; {writers.errors[:2]}")
    restored = "restored" in tail(victim.log, 400)
    lifted = lift_local_quarantine(proxy, victim)
    check("the restarted node serves again (after an operator reload if it quarantined the app locally)",
          restored and lifted)
    lost = []
    for node in nodes:
        with Connection(proxy.port, node.sni) as connection:
            for key, acked in writers.acked.items():
                got = connection.call(APP, "kv-read", key)
                allowed = {f"value {acked}", f"value {writers.attempted[key]}"}
                if got not in allowed:
                    lost.append(f"node {node.index} {key}: {got!r}, acknowledged {acked}")
    check("nothing acknowledged was lost: every node reads each key's last acknowledged (or in-flight) value",
          not lost, "; ".join(lost[:3]))


def lift_local_quarantine(proxy, node):
    """A node killed while running the app quarantines it for itself only; an operator's reload
    of the same code through that node lifts it (docs/cluster.md)."""
    def listing():
        with Connection(proxy.port, node.sni) as connection:
            return connection.manage({"wasm_list": {}})
    apps, _ = until(10, listing)
    if not apps:
        return False
    quarantined = [entry for entry in apps.get("unavailable", []) if entry.get("name") == APP]
    if quarantined:
        answer = load(proxy.port, APP, read(REFERENCE_APP), node.sni)
        if answer.get("status") != "loaded":
            print(f"     reload to lift the quarantine answered {answer}")
            return False
    ok, _ = until(10, lambda: Connection(proxy.port, node.sni).call(APP, "hello") == "Hello, World!")
    return bool(ok)


def database_crash(proxy, nodes, pg_dir):
    with Connection(proxy.port, nodes[2].sni) as connection:
        connection.call(APP, "kv-store", "before-crash", "durable")
    subprocess.run([sys.executable, os.path.join(HERE, "private_postgres.py"), "crash", pg_dir], check=True)
    subprocess.run([sys.executable, os.path.join(HERE, "private_postgres.py"), "restart", pg_dir], check=True,
                   stdout=subprocess.DEVNULL)

    def readable_everywhere():
        for node in nodes:
            with Connection(proxy.port, node.sni) as connection:
                if connection.call(APP, "kv-read", "before-crash") != "durable":
                    return False
        return True
    ok, elapsed = until(20, readable_everywhere)
    check("an acknowledged write survives a database crash; every node reconnects", ok, f"{elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
