#!/usr/bin/env python3
"""Memory under slow large frames: N TLS connections each announce a frame of SIZE MiB and send
its body slowly; the server's resident memory (VmRSS of --pid) is sampled during the attack and
after every connection has closed. Standard library only; loopback only.

    python3 tools/slow_upload_attack.py --port 8443 --pid $(pgrep -n enclave-os)
"""
import argparse
import socket
import ssl
import struct
import threading
import time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def attacker(host, port, size, seconds, stop, counters, lock):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=600) as raw:
            with context.wrap_socket(raw) as tls:
                tls.sendall(struct.pack(">I", size))
                piece = b" " * (256 * 1024)
                pieces = max(1, size // len(piece))
                pause = seconds / pieces
                sent = 0
                while sent < size and not stop.is_set():
                    chunk = piece[: min(len(piece), size - sent)]
                    if sent + len(chunk) == size:
                        chunk = chunk[:-6] + b'"Ping"'
                    tls.sendall(chunk)
                    sent += len(chunk)
                    with lock:
                        counters["bytes"] += len(chunk)
                    time.sleep(pause)
                if sent == size:
                    tls.settimeout(120)
                    header = tls.recv(4)
                    with lock:
                        counters["answered"] += 1 if len(header) == 4 else 0
    except OSError as error:
        with lock:
            counters["errors"] += 1
            counters["last_error"] = str(error)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--pid", type=int, required=True, help="the enclave-os process to sample")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--size-mib", type=float, default=15)
    parser.add_argument("--seconds", type=float, default=20, help="time each client takes to send its body")
    parser.add_argument("--limit", type=float, default=120, help="stop the attack after this many seconds")
    args = parser.parse_args()
    assert args.host.startswith("127.") or args.host == "localhost", "loopback only"

    size = int(args.size_mib * 1024 * 1024)
    baseline = rss_mib(args.pid)
    stop = threading.Event()
    lock = threading.Lock()
    counters = {"bytes": 0, "answered": 0, "errors": 0, "last_error": ""}
    threads = [threading.Thread(target=attacker, args=(args.host, args.port, size, args.seconds, stop, counters, lock), daemon=True)
               for _ in range(args.connections)]
    started = time.time()
    for thread in threads:
        thread.start()
    peak = baseline
    while any(thread.is_alive() for thread in threads) and time.time() - started < args.limit:
        time.sleep(0.25)
        peak = max(peak, rss_mib(args.pid))
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    elapsed = time.time() - started
    after = rss_mib(args.pid)
    time.sleep(5)
    settled = rss_mib(args.pid)
    print(f"connections {args.connections} x {args.size_mib} MiB: sent {counters['bytes'] / 2**20:.0f} MiB in {elapsed:.1f} s, "
          f"{counters['answered']} answered, {counters['errors']} errors {counters['last_error']}")
    print(f"server RSS: baseline {baseline:.0f} MiB, peak {peak:.0f} MiB, at close {after:.0f} MiB, 5 s later {settled:.0f} MiB")


if __name__ == "__main__":
    main()
