#!/usr/bin/env python3
"""Hostile connections against a running enclave-os: the latency of a `hello` on one honest
connection (p50/p99 of --samples sequential requests) and the server's resident memory and open
descriptors, first alone, then while each attack is added:

1. --idle TLS connections that complete the handshake and never send a byte;
2. --stalled TLS connections that send 3 bytes of a frame header and stop;
3. --raw TCP connections that never start TLS;
4. anonymous wasm_load requests in a loop from --flooders connections (refused on a server with
   operators; on an open server they would load apps, so use this only against one with operators).

Then it waits for the server's deadlines (--wait seconds) and reports how many of the attacking
connections the server closed. Standard library only; loopback only.

    python3 tools/connection_attack.py --port 8443 --pid $(pgrep -n enclave-os) --wait 20
"""
import argparse
import json
import os
import socket
import ssl
import struct
import threading
import time

CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CONTEXT.check_hostname = False
CONTEXT.verify_mode = ssl.CERT_NONE
HELLO = json.dumps({"Data": list(b"hello")}).encode()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def tls(host, port):
    raw = socket.create_connection((host, port), timeout=60)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return CONTEXT.wrap_socket(raw, server_hostname=None)


def read_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("the server closed the connection")
        data += chunk
    return data


def request(sock, payload):
    sock.sendall(struct.pack(">I", len(payload)) + payload)
    (length,) = struct.unpack(">I", read_exact(sock, 4))
    return read_exact(sock, length)


def report(args, label):
    sock = tls(args.host, args.port)
    request(sock, HELLO)  # the first request of a connection is not what is measured
    latencies = []
    for _ in range(args.samples):
        started = time.perf_counter()
        answer = request(sock, HELLO)
        latencies.append((time.perf_counter() - started) * 1000)
        assert b"119,111,114,108,100" in answer or b"d29ybGQ" in answer, answer
    sock.close()
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"| {label} | {p50:.2f} | {p99:.2f} | {latencies[-1]:.2f} | {rss_mib(args.pid):.0f} | {descriptors(args.pid)} |",
          flush=True)


def closed(sock):
    try:
        sock.settimeout(0.2)
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except (ssl.SSLError, OSError):
        return True


def flood(args, stop, counts, lock):
    component = list(b"\0asm\x0d\0\x01\0")
    payload = json.dumps({"Data": list(json.dumps({"wasm_load": {"name": "flood", "bytes": component}}).encode())}).encode()
    try:
        sock = tls(args.host, args.port)
        while not stop.is_set():
            answer = request(sock, payload)
            with lock:
                counts["refused" if b"unauthorized" in bytes(json.loads(answer)["Data"]) else "other"] += 1
        sock.close()
    except (OSError, EOFError):
        with lock:
            counts["errors"] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--pid", type=int, required=True, help="the enclave-os process, for its memory and descriptors")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--stalled", type=int, default=1000)
    parser.add_argument("--raw", type=int, default=500)
    parser.add_argument("--flooders", type=int, default=8)
    parser.add_argument("--wait", type=int, default=20, help="seconds to wait for the server's deadlines")
    args = parser.parse_args()

    print("| while | hello p50 ms | p99 ms | max ms | RSS MiB | server fds |")
    print("|---|---|---|---|---|---|")
    report(args, "nothing else")
    idle = [tls(args.host, args.port) for _ in range(args.idle)]
    report(args, f"{args.idle} idle TLS connections")
    stalled = []
    for _ in range(args.stalled):
        sock = tls(args.host, args.port)
        sock.sendall(b"\0\0\0")
        stalled.append(sock)
    report(args, f"+ {args.stalled} connections stalled in a frame header")
    raw = [socket.create_connection((args.host, args.port)) for _ in range(args.raw)]
    report(args, f"+ {args.raw} TCP connections that never handshake")
    stop, lock, counts = threading.Event(), threading.Lock(), {"refused": 0, "other": 0, "errors": 0}
    flooders = [threading.Thread(target=flood, args=(args, stop, counts, lock)) for _ in range(args.flooders)]
    started = time.time()
    for thread in flooders:
        thread.start()
    report(args, f"+ anonymous wasm_load from {args.flooders} connections")
    stop.set()
    for thread in flooders:
        thread.join()
    rate = (counts["refused"] + counts["other"]) / (time.time() - started)
    print(f"\nanonymous loads: {counts['refused']} refused, {counts['other']} not refused, {counts['errors']} connection errors "
          f"({rate:.0f} requests/s)")
    time.sleep(args.wait)
    print(f"after {args.wait} s: the server closed {sum(map(closed, idle))}/{len(idle)} idle, "
          f"{sum(map(closed, stalled))}/{len(stalled)} stalled, {sum(map(closed, raw))}/{len(raw)} never-handshaking connections\n")
    print("| while | hello p50 ms | p99 ms | max ms | RSS MiB | server fds |")
    print("|---|---|---|---|---|---|")
    report(args, "after the deadlines closed them")


if __name__ == "__main__":
    main()
