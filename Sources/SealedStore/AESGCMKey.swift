import CCryptoBoringSSL
@preconcurrency import Crypto

/// An AES-256-GCM key whose cipher context (key schedule and GHASH table) is set up once, for
/// the store's many small seals and opens.
///
/// Why not `AES.GCM.seal`: swift-crypto sets the context up again on every call, draws each
/// nonce with a `getrandom` system call and converts through `Data` several times. For the
/// store's values (tens of bytes) that was ~8 µs of CPU per sealed write, more than the cipher
/// itself; here the context is BoringSSL's (the library swift-crypto runs on Linux, called the
/// same way), and nonces come from BoringSSL's `RAND_bytes` (a per-thread CTR-DRBG seeded
/// from the kernel, reseeded after fork). The bytes are those of `AES.GCM`'s combined box:
/// nonce(12) ‖ ciphertext ‖ tag(16), with a random 96-bit nonce, so either opens the other's.
///
/// One context may seal and open on many threads at once (BoringSSL documents seal and open
/// as safe to call concurrently on one context). The context is wiped when the key goes.
final class AESGCMKey: Sendable {
    static let nonceBytes = 12
    static let tagBytes = 16

    /// Written once in `init`, then only read (seal and open take it `const`) until `deinit`.
    private nonisolated(unsafe) let context: UnsafeMutablePointer<EVP_AEAD_CTX>

    /// A context for `key` (32 bytes: every key of the store is an HKDF-SHA256 output of 32).
    init(_ key: SymmetricKey) {
        precondition(key.bitCount == 256, "AESGCMKey needs a 256-bit key, not \(key.bitCount) bits")
        context = .allocate(capacity: 1)
        context.initialize(to: EVP_AEAD_CTX())
        let made = key.withUnsafeBytes { bytes in
            CCryptoBoringSSL_EVP_AEAD_CTX_init(context, CCryptoBoringSSL_EVP_aead_aes_256_gcm(),
                                               bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, Self.tagBytes, nil)
        }
        // Fails only for a key or tag length the AEAD does not take; both are fixed above.
        precondition(made == 1, "EVP_AEAD_CTX_init refused a 256-bit AES-GCM key")
    }

    deinit {
        CCryptoBoringSSL_EVP_AEAD_CTX_cleanup(context)
        CCryptoBoringSSL_OPENSSL_cleanse(context, MemoryLayout<EVP_AEAD_CTX>.size)
        context.deallocate()
    }

    /// nonce ‖ ciphertext ‖ tag of `plaintext`, authenticating `aad`, under a fresh random nonce.
    func seal(_ plaintext: [UInt8], aad: [UInt8]) throws(SealedStoreError) -> [UInt8] {
        let total = Self.nonceBytes + plaintext.count + Self.tagBytes
        var failure: SealedStoreError?
        let sealed = [UInt8](unsafeUninitializedCapacity: total) { out, count in
            count = 0
            guard let base = out.baseAddress, CCryptoBoringSSL_RAND_bytes(base, Self.nonceBytes) == 1 else {
                failure = .invalidInput("AES-GCM seal failed: no random nonce")
                return
            }
            var written = 0
            let done = plaintext.withUnsafeBufferPointer { input in
                aad.withUnsafeBufferPointer { aad in
                    CCryptoBoringSSL_EVP_AEAD_CTX_seal(context, base + Self.nonceBytes, &written, total - Self.nonceBytes,
                                                       base, Self.nonceBytes, input.baseAddress, input.count,
                                                       aad.baseAddress, aad.count)
                }
            }
            guard done == 1, written == total - Self.nonceBytes else {
                failure = .invalidInput("AES-GCM seal failed (BoringSSL refused \(plaintext.count) bytes)")
                return
            }
            count = total
        }
        if let failure { throw failure }
        return sealed
    }

    /// The plaintext of `sealed` (nonce ‖ ciphertext ‖ tag) authenticated with `aad`, or nil when
    /// it is too short or does not authenticate (never any part of an unauthenticated plaintext).
    func open(_ sealed: [UInt8], aad: [UInt8]) -> [UInt8]? {
        guard sealed.count >= Self.nonceBytes + Self.tagBytes else { return nil }
        let plain = sealed.count - Self.nonceBytes - Self.tagBytes
        var opened = false
        // Capacity 1 at least, so the output pointer is never nil for an empty plaintext.
        let result = [UInt8](unsafeUninitializedCapacity: max(1, plain)) { out, count in
            count = 0
            var written = 0
            let done = sealed.withUnsafeBufferPointer { input in
                aad.withUnsafeBufferPointer { aad in
                    CCryptoBoringSSL_EVP_AEAD_CTX_open(context, out.baseAddress, &written, plain,
                                                       input.baseAddress, Self.nonceBytes,
                                                       input.baseAddress.map { $0 + Self.nonceBytes }, input.count - Self.nonceBytes,
                                                       aad.baseAddress, aad.count)
                }
            }
            guard done == 1, written == plain else {
                // A failed open leaves no plaintext behind in the buffer we return nowhere.
                if let base = out.baseAddress { CCryptoBoringSSL_OPENSSL_cleanse(base, out.count) }
                return
            }
            opened = true
            count = plain
        }
        return opened ? result : nil
    }
}
