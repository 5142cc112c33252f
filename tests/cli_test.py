#!/usr/bin/env python3
"""The command lines' conventions, run as a user would (standard library only).

Usage: cli_test.py BUILD_DIR HOST PORT   (a running server on HOST:PORT, simulated attestation)

Checks: --version on `enclave` and `enclave-os` (version and commit); ENCLAVE_HOST /
ENCLAVE_PORT instead of --host/--port; the documented exit statuses (0, 1 remote error,
2 verification failed, 3 connection failed, 64 usage); "did you mean" for a mistyped command;
--json on every command; `enclave-os` naming a taken port before it opens its data directory;
`enclave shell` on a terminal (a pseudo-terminal): line editing, history recall with the up
arrow, Tab completion of command names, the history file, and suggestions.
"""
import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
checks = []


def check(name, condition, detail=""):
    checks.append((name, bool(condition)))
    print("%s %s%s" % ("PASS" if condition else "FAIL", name, "" if condition else ": " + str(detail)[:500]))


def run(args, env=None, stdin=None):
    return subprocess.run(args, capture_output=True, text=True, env=env, stdin=stdin or subprocess.DEVNULL, timeout=120)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    build, host, port = sys.argv[1], sys.argv[2], sys.argv[3]
    enclave = os.path.join(build, "enclave")
    server = os.path.join(build, "enclave-os")
    env = dict(os.environ, ENCLAVE_HOST=host, ENCLAVE_PORT=port)
    commit = run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"]).stdout.strip() or "unknown"

    # --version: the release number and the commit built from.
    for binary in (enclave, server):
        out = run([binary, "--version"])
        check("%s --version" % os.path.basename(binary),
              out.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?\)\n", out.stdout)
              and commit in out.stdout, out.stdout + out.stderr)

    # The environment chooses the server; options win over it.
    out = run([enclave, "ping"], env=env)
    check("ENCLAVE_HOST/ENCLAVE_PORT", out.returncode == 0 and out.stdout.startswith("Pong from %s:%s" % (host, port)), out)
    dead = free_port()
    out = run([enclave, "ping", "--port", str(dead)], env=env)
    check("--port wins over ENCLAVE_PORT; connection refused exits 3", out.returncode == 3 and "connection refused" in out.stderr, out)
    out = run([enclave, "ping"], env=dict(env, ENCLAVE_PORT="eighty"))
    check("a bad ENCLAVE_PORT is a usage error (64)", out.returncode == 64 and "ENCLAVE_PORT" in out.stderr, out)

    # Exit statuses and --json on every command.
    guest = os.path.join(REPO, "Guests/test-guest/test-guest.wasm")
    out = run([enclave, "load", guest, "--name", "cli-test", "--json"], env=env)
    check("load --json", out.returncode == 0 and json.loads(out.stdout)["status"] == "loaded", out)
    for command, status in [(["ping"], None), (["list"], "apps"), (["schema", "cli-test"], "schema"),
                            (["call", "cli-test", "add(2, 40)"], "ok")]:
        out = run([enclave] + command + ["--json"], env=env)
        try:
            document = json.loads(out.stdout)
            ok = out.returncode == 0 and (document == "Pong" if status is None else document["status"] == status)
        except ValueError:
            ok = False
        check("%s --json" % command[0], ok, out)
    out = run([enclave, "verify", "--allow-simulated", "--json"], env=env)
    try:
        report = json.loads(out.stdout)
        ok = out.returncode == 0 and report["passed"] is True and report["evidence_format"] == "simulated" and report["checks"]
    except ValueError:
        ok = False
    check("verify --json", ok, out)
    out = run([enclave, "verify", "--json"], env=env)
    check("verify of a simulated server without --allow-simulated exits 2", out.returncode == 2 and json.loads(out.stdout or "{}").get("passed") is False, out)
    out = run([enclave, "call", "cli-test", "add", "--verify"], env=env)
    check("--verify refusing a simulated server exits 2", out.returncode == 2 and "attestation verification failed" in out.stderr, out)
    out = run([enclave, "call", "cli-test", "spin"], env=env)
    check("a failed call exits 1", out.returncode == 1 and "out of fuel" in out.stderr, out)
    out = run([enclave, "call", "cli-test", "add(2)"], env=env)
    check("a bad WAVE call exits 64", out.returncode == 64 and "takes 2 argument" in out.stderr, out)
    out = run([enclave, "lsit"], env=env)
    check("did you mean", out.returncode == 64 and "did you mean 'list'?" in out.stderr, out)
    out = run([enclave, "shutdown"], env=env)
    check("shutdown without a token is a usage error", out.returncode == 64 and "ENCLAVE_TOKEN" in out.stderr, out)
    out = run([enclave, "shutdown", "--json"], env=dict(env, ENCLAVE_TOKEN="not-the-token"))
    check("shutdown with a wrong token exits 1", out.returncode == 1 and "refused" in out.stderr.lower(), out)
    with tempfile.TemporaryDirectory() as work:
        out = run([enclave, "new", "json-app", "--lang", "c", "--dir", os.path.join(work, "app"), "--json"])
        check("new --json", out.returncode == 0 and json.loads(out.stdout)["lang"] == "c", out)
        out = run([enclave, "new", "Bad_Name", "--lang", "c", "--dir", os.path.join(work, "bad")])
        check("new refuses a name that is not kebab-case (64)", out.returncode == 64 and "kebab-case" in out.stderr, out)
        out = run([enclave, "--generate-completion-script", "bash"])
        check("completion script", out.returncode == 0 and "_enclave" in out.stdout and "schema" in out.stdout, out.stderr)

        # enclave-os names the taken port before touching its data directory.
        data = os.path.join(work, "second-data")
        out = run([server, "--host", host, "--port", port, "--data-dir", data])
        check("enclave-os names a taken port before opening its store",
              out.returncode != 0 and ("%s:%s" % (host, port)) in out.stderr and "already in use" in out.stderr
              and not os.path.exists(data), out)

        shell_checks(enclave, env, os.path.join(work, "history"))
    run([enclave, "unload", "cli-test"], env=env)
    failed = sum(1 for _, ok in checks if not ok)
    print("%d passed, %d failed" % (len(checks) - failed, failed))
    sys.exit(1 if failed else 0)


def shell_checks(enclave, env, history):
    """`enclave shell` on a pseudo-terminal: typed lines, an edit, the up arrow, Tab, the history file."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(enclave, [enclave, "shell"], dict(env, ENCLAVE_HISTORY=history, TERM="xterm"))
    screen = b""

    def read_until(text, timeout=30):
        nonlocal screen
        deadline = time.time() + timeout
        while text.encode() not in screen and time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(fd, 4096)
                except OSError:
                    break
        return text.encode() in screen

    check("shell prompt on a terminal", read_until("enclave> "), screen)
    # Type "call cli-test add(2, 4)", move left over ")" and "4", delete "4", type "40".
    os.write(fd, b"call cli-test 'add(2, 4)'" + b"\x1b[D\x1b[D" + b"\x7f" + b"40" + b"\r")
    check("edited line runs: 42", read_until("\r\n42\r\n"), screen)
    screen = b""
    read_until("enclave> ")  # keys typed before the next prompt would reach the terminal, not the editor
    os.write(fd, b"\x1b[A\r")  # up arrow: the previous line again
    check("up arrow recalls the last line", read_until("\r\n42\r\n"), screen)
    screen = b""
    read_until("enclave> ")
    os.write(fd, b"lsit\r")
    check("shell suggests a command", read_until("did you mean 'list'?"), screen)
    screen = b""
    read_until("enclave> ")
    os.write(fd, b"lis\t--json\r")  # Tab completes the command name (and adds the space)
    check("Tab completes a command", read_until('"status":"apps"'), screen)
    screen = b""
    read_until("enclave> ")
    os.write(fd, b"\x04")  # Ctrl-D on an empty line ends the shell
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    saved = open(history).read().splitlines() if os.path.exists(history) else []
    # The recalled line is not stored twice in a row.
    check("history file keeps the lines", saved == ["call cli-test 'add(2, 40)'", "lsit", "list --json"], saved)
    check("shell ends on Ctrl-D", os.WEXITSTATUS(status) == 0, status)


if __name__ == "__main__":
    main()
