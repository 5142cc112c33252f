#!/usr/bin/env python3
"""A private PostgreSQL instance in a directory of its own, for tests (standard library only).

    private_postgres.py start DIR     initdb (first time) + start on a free loopback port;
                                      prints the store URL, postgres://postgres@127.0.0.1:PORT/enclaveos
    private_postgres.py stop DIR      fast shutdown (clean)
    private_postgres.py crash DIR     immediate shutdown: like a power cut for the database
                                      (no checkpoint; recovery replays the WAL at the next start)
    private_postgres.py restart DIR   start again on the same port

Debian's server binaries live in /usr/lib/postgresql/<version>/bin. initdb and pg_ctl refuse to
run as root, so under root they run as the `postgres` user (runuser), and DIR is handed to it.
The instance listens on 127.0.0.1 only, trusts local connections (a test database holding
ciphertext), and keeps fsync and synchronous_commit on: the durability checks depend on them.
"""
import glob
import os
import shutil
import socket
import subprocess
import sys
import time

DATABASE = "enclaveos"


def server_bin(name):
    """Path of a PostgreSQL server program; exits with an explanation when none is installed."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        sys.exit(f"PostgreSQL's {name} is not installed (apt-get install postgresql; scripts/test does it)")
    return found[-1]


def as_owner(arguments):
    """`arguments`, run as the postgres user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + arguments
    return arguments


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def paths(directory):
    directory = os.path.abspath(directory)
    return directory, os.path.join(directory, "data"), os.path.join(directory, "port"), os.path.join(directory, "postgres.log")


def url(port):
    return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"


def start(directory, port=None):
    directory, data, port_file, log = paths(directory)
    os.makedirs(directory, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        os.chmod(directory, 0o700)
    fresh = not os.path.exists(os.path.join(data, "PG_VERSION"))
    if fresh:
        subprocess.run(as_owner([server_bin("initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                 "--no-instructions"]), check=True, stdout=subprocess.DEVNULL)
    if port is None:
        port = int(open(port_file).read()) if os.path.exists(port_file) else free_port()
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on"
    subprocess.run(as_owner([server_bin("pg_ctl"), "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    with open(port_file, "w") as f:
        f.write(str(port))
    if fresh:
        psql = shutil.which("psql") or server_bin("psql")
        subprocess.run([psql, "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", f"CREATE DATABASE {DATABASE}"],
                       check=True)
    return url(port)


def stop(directory, mode="fast"):
    directory, data, _, _ = paths(directory)
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(as_owner([server_bin("pg_ctl"), "-D", data, "-m", mode, "-w", "stop"]),
                       check=False, stdout=subprocess.DEVNULL)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop", "crash", "restart"):
        sys.exit(__doc__)
    command, directory = sys.argv[1], sys.argv[2]
    if command in ("start", "restart"):
        print(start(directory), flush=True)
    elif command == "stop":
        stop(directory)
    else:
        stop(directory, mode="immediate")


if __name__ == "__main__":
    main()
