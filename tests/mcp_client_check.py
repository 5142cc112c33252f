#!/usr/bin/env python3
"""An MCP client from PyPI (`mcp`, pinned in tests/requirements.txt) against a running EnclaveOS:
loads the test guest, then lists and calls its tools through `POST /mcp`.

The client connects only after the server's RA-TLS certificate has been verified
(python/enclaveos_verify.py, simulated evidence allowed as the test server has no TEE), and its
TLS then trusts exactly that certificate, so the tools it calls are the attested ones.

Usage: python3 tests/mcp_client_check.py HOST PORT
"""
import asyncio
import base64
import http.client
import json
import os
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import enclaveos_verify  # noqa: E402

import httpx2  # noqa: E402  (the HTTP client the mcp package is built on)
from mcp import ClientSession  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

GUEST = os.path.join(HERE, "..", "Guests", "test-guest", "test-guest.wasm")
APP = "mcpdemo"


def pinned_context(host, port):
    """Verify the RA-TLS certificate, then trust exactly it (no CA, no hostname)."""
    der = enclaveos_verify.fetch_peer_certificate(host, port)
    report = enclaveos_verify.verify_certificate(der, allow_simulated=True)
    if not report.passed:
        raise SystemExit("RA-TLS verification failed:\n%s" % report)
    context = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(der))
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a self-signed leaf is its own anchor
    return context


def load_guest(host, port, context):
    connection = http.client.HTTPSConnection(host, port, context=context)
    with open(GUEST, "rb") as f:
        body = json.dumps({"wasm_load": {"name": APP, "bytes": base64.b64encode(f.read()).decode()}})
    connection.request("POST", "/data", body, {"Content-Type": "application/json"})
    answer = json.loads(connection.getresponse().read())
    if answer.get("status") != "loaded":
        raise SystemExit("load failed: %s" % answer)


async def exercise(url, context):
    failures = []

    def check(name, ok, detail):
        print("  %-34s %s  %s" % (name, "PASS" if ok else "FAIL", detail))
        if not ok:
            failures.append(name)

    async with httpx2.AsyncClient(verify=context, timeout=60) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                check("initialize", init.server_info.name == "enclave-os", "%s, protocol %s" % (init.server_info.name, init.protocol_version))
                listed = await session.list_tools()
                names = [t.name for t in listed.tools]
                add = next((t for t in listed.tools if t.name == APP + ".add"), None)
                check("tools/list", add is not None and len(names) >= 18, "%d tools: %s…" % (len(names), ", ".join(names[:4])))
                check("tools/list inputSchema from WIT", add is not None and add.input_schema.get("required") == ["a", "b"],
                      json.dumps(add.input_schema if add else None))
                result = await session.call_tool(APP + ".add", {"a": 2, "b": 40})
                text = result.content[0].text if result.content else None
                check("tools/call add(2, 40)", not result.is_error and text == "42", "text %r" % text)
                greeting = await session.call_tool(APP + ".greet", {"name": "mcp"})
                check("tools/call greet", greeting.content[0].text == "Hello, mcp!", greeting.content[0].text)
                fuel = await session.call_tool(APP + ".spin", {})
                check("tools/call spin: a tool error", fuel.is_error and "out of fuel" in fuel.content[0].text, fuel.content[0].text)
                bad = await session.call_tool(APP + ".add", {"a": -1, "b": 1})
                check("tools/call with a bad argument", bad.is_error and "expected u32" in bad.content[0].text, bad.content[0].text)
    return failures


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    load_guest(host, port, pinned_context(host, port))
    # Loading changed the certificate (it attests the apps): verify and pin the new one.
    context = pinned_context(host, port)
    failures = asyncio.run(exercise("https://%s:%d/mcp" % (host, port), context))
    print("MCP client: %s" % ("all checks passed" if not failures else "FAILED: " + ", ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
