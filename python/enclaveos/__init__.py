"""EnclaveOS client.

    from enclaveos import Client
    with Client("127.0.0.1", 8443, allow_simulated=True) as enclave:   # RA-TLS verified first
        enclave.load("demo", "test-guest.wasm")
        enclave.call("demo", "add", 2, 40)          # 42: arguments typed from the app's WIT
        enclave.call("demo", "add", a=2, b=40)      # 42: named, as POST /rpc/demo/add

`protocol="http"` (default) speaks HTTP/1.1 on the RA-TLS port, `protocol="frames"` the
length-prefixed frames; both reach the same server. The certificate is verified on the very
connection the requests then use (`enclaveos_verify`); a failed check raises before any byte is sent.
"""
from .client import Client, EnclaveError, VerificationFailed
from .values import typed_value, plain_value

__all__ = ["Client", "EnclaveError", "VerificationFailed", "typed_value", "plain_value"]
