"""`enclaveos`: a small command line over `enclaveos.Client`.

    enclaveos --allow-simulated load demo test-guest.wasm
    enclaveos --allow-simulated call demo add 2 40        # positional, typed from the app's WIT
    enclaveos --allow-simulated call demo add a=2 b=40    # named (JSON values), as POST /rpc
    enclaveos --allow-simulated call --app-auth TOKEN demo add a=2 b=40   # an app loaded with --app-auth
    enclaveos --allow-simulated list | schema demo | tools demo | unload demo | health

Every command verifies the server's RA-TLS certificate first (add --allow-simulated for a server
without a TEE); `enclaveos-verify` prints every check of that verification.
"""
import argparse
import json
import sys

from .client import Client, EnclaveError, VerificationFailed
from .transport import ProtocolError


def _value(text):
    """A JSON value, or the text itself as a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _parser():
    parser = argparse.ArgumentParser(prog="enclaveos", description="EnclaveOS client (RA-TLS verified).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--protocol", choices=["http", "frames"], default="http")
    parser.add_argument("--server-name", help="SNI: an app's hostname selects its own certificate")
    parser.add_argument("--allow-simulated", action="store_true", help="accept simulated evidence (no TEE)")
    parser.add_argument("--expect-code-hash", help="refuse unless the certificate carries this code hash (hex)")
    parser.add_argument("--token", help="operator credential (Authorization: Bearer / \"auth\")")
    parser.add_argument("--ca-cert", help="operator CA (PEM/DER) that must have signed the server's leaf")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="load a component (streamed above 4 MiB)")
    load.add_argument("name")
    load.add_argument("path")
    load.add_argument("--hostname")
    load.add_argument("--encryption-key")
    load.add_argument("--max-fuel", type=int)
    load.add_argument("--app-auth", help="a token every caller of the app must then present")
    call = commands.add_parser("call", help="call an export: VALUE… or NAME=VALUE… (JSON values)")
    call.add_argument("app")
    call.add_argument("function")
    call.add_argument("arguments", nargs="*")
    call.add_argument("--app-auth", help="the caller's token for an app loaded with one")
    commands.add_parser("list", help="list loaded apps")
    unload = commands.add_parser("unload", help="unload an app")
    unload.add_argument("name")
    schema = commands.add_parser("schema", help="an app's WIT signatures")
    schema.add_argument("app")
    tools = commands.add_parser("tools", help="an app's MCP tool manifest")
    tools.add_argument("app", nargs="?", default="")
    commands.add_parser("health", help="GET /healthz")
    return parser


def _run(client, args):
    if args.command == "load":
        return client.load(args.name, args.path, hostname=args.hostname, encryption_key=args.encryption_key,
                           max_fuel=args.max_fuel, app_auth=args.app_auth,
                           progress=lambda done, total: print("  %d / %d bytes" % (done, total), file=sys.stderr))
    if args.command == "call":
        named = [a for a in args.arguments if "=" in a and not a.startswith(("{", "[", '"'))]
        if named and len(named) == len(args.arguments):
            parameters = {k: _value(v) for k, v in (a.split("=", 1) for a in named)}
            if "app_auth" in parameters:
                raise ValueError("app_auth is not a parameter: pass the token with --app-auth")
            return client.call(args.app, args.function, app_auth=args.app_auth, **parameters)
        return client.call(args.app, args.function, *[_value(a) for a in args.arguments], app_auth=args.app_auth)
    if args.command == "list":
        return client.list()
    if args.command == "unload":
        return {"unloaded": client.unload(args.name)}
    if args.command == "schema":
        return client.schema(args.app)
    if args.command == "tools":
        return client.mcp_tools(args.app)
    if args.command == "health":
        return client.health() if client.protocol == "http" else {"pong": client.transport.ping()}
    raise ValueError(args.command)


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        with Client(args.host, args.port, protocol=args.protocol, server_name=args.server_name,
                    allow_simulated=args.allow_simulated, expect_code_hash=args.expect_code_hash,
                    credential=args.token, ca_cert=args.ca_cert) as client:
            result = _run(client, args)
    except VerificationFailed as failure:
        print("error: %s" % failure, file=sys.stderr)
        for check in failure.report.checks:
            print("  %s %s: %s" % ("PASS" if check.passed else "FAIL", check.name, check.detail), file=sys.stderr)
        return 2
    except (EnclaveError, ProtocolError, ValueError, OSError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1
    print(json.dumps(result, indent=None if isinstance(result, (str, int, float)) else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
