"""Waits until a TCP port accepts connections: wait_for_port.py HOST PORT SECONDS."""
import socket
import sys
import time

host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        socket.create_connection((host, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
print(f"nothing listening on {host}:{port} after {seconds:.0f}s", file=sys.stderr)
sys.exit(1)
