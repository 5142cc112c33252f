@preconcurrency import Crypto
#if canImport(CCryptoBoringSSL)
import CCryptoBoringSSL
#endif
#if canImport(Glibc)
import Glibc
#endif

/// An AES-256-GCM key whose cipher context (key schedule and GHASH table) is set up once, for
/// the store's many small seals and opens.
///
/// Why not `AES.GCM.seal`: swift-crypto sets the context up again on every call and converts
/// through `Data` several times. For the store's values (tens of bytes) that was ~8 µs of CPU
/// per sealed write, more than the cipher itself; here the context is BoringSSL's (the library
/// swift-crypto runs on Linux, called the same way). Each nonce is 96 random bits from the
/// kernel (`getrandom`), as swift-crypto draws them: not from a user-space generator, whose
/// state a cloned or restored VM snapshot would repeat, repeating nonces under the same key.
/// The bytes are those of `AES.GCM`'s combined box: nonce(12) ‖ ciphertext ‖ tag(16), so either
/// opens the other's. Where BoringSSL is not linked (Apple platforms, where swift-crypto uses
/// CryptoKit), the same API runs on `AES.GCM`.
///
/// One context may seal and open on many threads at once (BoringSSL documents seal and open
/// as safe to call concurrently on one context). The context is wiped when the key goes.
#if canImport(CCryptoBoringSSL) && canImport(Glibc)
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
                                               bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, Self.tagBytes, nil)
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
            guard let base = out.baseAddress, Self.randomNonce(into: base) else {
                failure = .invalidInput("AES-GCM seal failed: the kernel gave no random nonce (getentropy: errno \(errno))")
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
                CCryptoBoringSSL_ERR_clear_error()
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
                // Not left on this thread's error queue for a later, unrelated BoringSSL call.
                CCryptoBoringSSL_ERR_clear_error()
                return
            }
            opened = true
            count = plain
        }
        return opened ? result : nil
    }

    /// 12 bytes from the kernel's generator (`getentropy`: the `getrandom` system call, which
    /// waits until the kernel's generator is seeded and retries interrupted calls itself).
    private static func randomNonce(into buffer: UnsafeMutablePointer<UInt8>) -> Bool {
        getentropy(buffer, nonceBytes) == 0
    }
}
#else
final class AESGCMKey: Sendable {
    static let nonceBytes = 12
    static let tagBytes = 16
    private let key: SymmetricKey

    init(_ key: SymmetricKey) {
        precondition(key.bitCount == 256, "AESGCMKey needs a 256-bit key, not \(key.bitCount) bits")
        self.key = key
    }

    func seal(_ plaintext: [UInt8], aad: [UInt8]) throws(SealedStoreError) -> [UInt8] {
        do {
            guard let combined = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: aad).combined else {
                throw SealedStoreError.integrity("sealing produced no combined box")
            }
            return Array(combined)
        } catch let error as SealedStoreError {
            throw error
        } catch {
            throw .invalidInput("AES-GCM seal failed: \(error)")
        }
    }

    func open(_ sealed: [UInt8], aad: [UInt8]) -> [UInt8]? {
        guard sealed.count >= Self.nonceBytes + Self.tagBytes,
              let box = try? AES.GCM.SealedBox(combined: sealed) else { return nil }
        return try? Array(AES.GCM.open(box, using: key, authenticating: aad))
    }
}
#endif
