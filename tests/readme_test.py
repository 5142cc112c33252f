#!/usr/bin/env python3
"""Runs the README's command blocks as written, and checks what they print.

Usage: readme_test.py HOST PORT   (a running server; ENCLAVE_HOST/ENCLAVE_PORT point at it)

Blocks marked `<!-- readme-test: NAME -->` run in order in one bash shell (so `E=…` carries
over): `demo` from the repository root, `new-app` from a fresh temporary folder. Every line must
exit 0 unless its comment says `(exit N)`. A comment `# → TEXT` is what the line must print:
the first line of its output (standard output, then standard error). Standard library only.
"""
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = re.compile(r"<!-- readme-test: ([a-z-]+) -->\n```sh\n(.*?)```", re.S)
COMMENT = re.compile(r"^(.*?\S)\s{2,}#\s?(.*)$")


def blocks():
    text = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    return MARK.findall(text)


def main():
    host, port = sys.argv[1:3]
    found = blocks()
    names = [name for name, _ in found]
    if names != ["demo", "new-app"]:
        sys.exit("README blocks marked for testing: %s (expected demo, new-app)" % names)
    with tempfile.TemporaryDirectory() as work:
        script, lines = ["set +e"], []
        for name, block in found:
            script.append("cd %s" % (REPO if name == "demo" else work))
            for raw in block.strip().splitlines():
                match = COMMENT.match(raw)
                command, comment = (match.group(1), match.group(2)) if match else (raw.strip(), "")
                expected, status = None, 0
                if comment.startswith("→"):
                    expected = comment[1:].strip()
                exit_match = re.search(r"\(exit (\d+)\)\s*$", comment)
                if exit_match:
                    status = int(exit_match.group(1))
                    if expected is not None:
                        expected = expected[:expected.rfind("(exit")].strip()
                index = len(lines)
                lines.append((name, command, expected, status))
                script.append("{ %s\n} > %s/out%d 2> %s/err%d; echo $? > %s/status%d" % (command, work, index, work, index, work, index))
        env = dict(os.environ, ENCLAVE_HOST=host, ENCLAVE_PORT=port)
        subprocess.run(["bash", "-c", "\n".join(script)], env=env, cwd=REPO, timeout=1800)
        failures = 0
        for index, (name, command, expected, status) in enumerate(lines):
            read = lambda kind: open("%s/%s%d" % (work, kind, index), encoding="utf-8", errors="replace").read()
            got_status = int(read("status").strip() or -1)
            output = read("out") + read("err")
            first = next((line.strip() for line in output.splitlines() if line.strip()), "")
            ok = got_status == status and (expected is None or first == expected)
            failures += not ok
            print("%s [%s] %s" % ("PASS" if ok else "FAIL", name, command))
            if not ok:
                print("   status %d (want %d); first line %r (want %r)\n   output: %s" % (
                    got_status, status, first, expected, output.strip()[:600]))
    print("%d passed, %d failed" % (len(lines) - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
