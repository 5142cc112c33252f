import ArgumentParser
import Attestation
import Foundation
import EnclaveClient

/// What the server's attested certificate must show; shared by `verify` and `--verify`.
struct ExpectationOptions: ParsableArguments {
    @Flag(name: .customLong("allow-simulated"),
          help: "Accept SIMULATED (MOCK_QUOTE) evidence. It proves nothing: development servers only.")
    var allowSimulated = false

    @Option(name: .customLong("expect-code-hash"),
            help: "Required app code hash (64 hex digits, SHA-256 of the .wasm), checked in OID 1.3.6.1.4.1.65230.3.2; select the app's certificate with its hostname as SNI.")
    var expectCodeHash: String?

    @Option(name: .customLong("expect-oid"), help: "Required raw extension value, OID=HEX (repeatable).")
    var expectOID: [String] = []

    /// The verifier's expectations for `binding`.
    /// - Throws: `ValidationError` naming the malformed option.
    func expectations(binding: VerificationExpectations.Binding) throws -> VerificationExpectations {
        var codeHash: [UInt8]?
        if let hex = expectCodeHash {
            guard let bytes = Hex.decode(hex), bytes.count == 32 else {
                throw ValidationError("--expect-code-hash must be 64 hex digits (a SHA-256), got '\(hex)'")
            }
            codeHash = bytes
        }
        let extensions = try expectOID.map { text -> VerificationExpectations.ExtensionValue in
            do {
                return try VerificationExpectations.ExtensionValue(parsing: text)
            } catch {
                throw ValidationError("--expect-oid \(text): \(error)")
            }
        }
        return VerificationExpectations(
            binding: binding, allowSimulated: allowSimulated, codeHash: codeHash, extensions: extensions, now: .now
        )
    }
}
