@preconcurrency import Crypto
import Components

/// The original SDK's platform interfaces (`privasys:enclave-os/*@0.1.0`) that EnclaveOS
/// provides, plus `sealing` (`wit/deps/enclave-os/enclave-os.wit`, docs/sdk.md). HTTPS egress
/// is registered by the server, which owns the egress client.
///
/// Per-call state (the keystore) lives in the call's `WASISession`; per-app facts (name,
/// sealing key, attestation extensions) in its `EnclaveApp`. Every failure a caller can cause
/// is an `err(string)`, never a trap.
public enum EnclaveSDK {
    /// The interfaces implemented here.
    static let interfaces: [WASIInterface] = [
        CryptoInterface.interface, KeystoreInterface.interface, SealingInterface.interface,
        AttestationInterface.interface,
    ]

    /// Interfaces of the original SDK that EnclaveOS refuses at load, and why.
    public static let refused: [String: String] = [
        "privasys:enclave-os/auth@0.1.0":
            "caller identity and role management (the original SDK's `auth`) is not provided by EnclaveOS; "
            + "authenticate callers in the app, e.g. with keys from privasys:enclave-os/keystore",
        "privasys:enclave-os/ledger@0.1.0":
            "the replicated ledger (the original SDK's `ledger`, cluster flavour only) is not provided by EnclaveOS; "
            + "use the app's sealed filesystem (wasi:filesystem)",
    ]

    /// Adds the SDK interfaces and the refusals to `imports`.
    public static func register(into imports: inout HostImports) {
        for interface in interfaces {
            for (name, function) in interface.functions {
                imports.define(instance: interface.name, function: name, HostFunction(session: WASISession.self, missing: WASIHost.noSession) {
                    session, _, arguments in
                    try WASIHost.run { try function(session, arguments) }
                })
            }
        }
        for (interface, reason) in refused { imports.refuse(instance: interface, reason: reason) }
    }
}

/// `result<T, string>` values, and typed access to the SDK's arguments.
enum SDKResult {
    static func ok(_ payload: ComponentValue? = nil) -> [ComponentValue] { [.result(isError: false, payload: payload)] }
    static func err(_ message: String) -> [ComponentValue] { [.result(isError: true, payload: .string(message))] }

    /// Runs `body`; an `SDKError` becomes `err(text)`; traps and faults propagate.
    static func run(_ body: () throws -> ComponentValue?) throws -> [ComponentValue] {
        do {
            return ok(try body())
        } catch let error as SDKError {
            return err(error.message)
        }
    }
}

/// A failure the guest sees as `err(message)`.
struct SDKError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension Arguments {
    func u32(_ index: Int) throws -> UInt32 {
        guard index < values.count, case .u32(let v) = values[index] else {
            throw WASIHostFault.protocolViolation("\(function): argument \(index + 1) is not a u32; the import's signature does not match the SDK's")
        }
        return v
    }

    func enumCase(_ index: Int) throws -> Int {
        guard index < values.count, case .enum(let v) = values[index] else {
            throw WASIHostFault.protocolViolation("\(function): argument \(index + 1) is not an enum; the import's signature does not match the SDK's")
        }
        return v
    }
}
