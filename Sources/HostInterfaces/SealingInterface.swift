@preconcurrency import Crypto
import Components

/// `privasys:enclave-os/sealing@0.1.0` (an EnclaveOS addition to the original SDK): AES-256-GCM
/// under the app's sealing key (`EnclaveApp.sealingKey`), which never leaves the process. The
/// sealed form is nonce(12) ‖ ciphertext ‖ tag(16).
enum SealingInterface {
    static let name = "privasys:enclave-os/sealing@0.1.0"
    /// Largest plaintext sealed in one call (the size of a guest allocation we copy twice).
    static let maxPlaintextBytes = 16 << 20

    static let interface = WASIInterface(name: name, functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("seal") { session, args in
            let (plaintext, aad) = (try args.bytes(0), try args.bytes(1))
            return try SDKResult.run {
                let key = try sealingKey(session)
                guard plaintext.count <= maxPlaintextBytes else { throw SDKError("plaintext larger than \(maxPlaintextBytes) bytes") }
                do {
                    let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: aad)
                    return .bytes(Array(box.nonce) + Array(box.ciphertext) + Array(box.tag))
                } catch {
                    throw SDKError("sealing failed")
                }
            }
        },
        WASIInterface.function("unseal") { session, args in
            let (sealed, aad) = (try args.bytes(0), try args.bytes(1))
            return try SDKResult.run {
                let key = try sealingKey(session)
                do {
                    let box = try AES.GCM.SealedBox(combined: sealed)
                    return .bytes(Array(try AES.GCM.open(box, using: key, authenticating: aad)))
                } catch {
                    throw SDKError("unsealing failed (not sealed by this app's code, other AAD, or tampered data)")
                }
            }
        },
    ]))

    private static func sealingKey(_ session: WASISession) throws -> SymmetricKey {
        guard let app = session.app else { throw SDKError("sealing is not available: this session serves no app") }
        return app.sealingKey
    }
}
