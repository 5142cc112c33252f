import Crypto

/// The random bytes behind `wasi:random` (wit/ and docs/sdk.md): the system CSPRNG, batched.
///
/// Bytes come from swift-crypto's `SymmetricKey(size:)`, i.e. BoringSSL's `RAND_bytes` on
/// Linux: a DRBG seeded from `getrandom` (inside SGX, Gramine serves that from RDRAND). One call
/// fills the whole request, unlike Swift's `SystemRandomNumberGenerator`, which makes one
/// syscall per 8 bytes. Glibc's `getrandom` is not visible to Swift here, which is the other
/// reason not to call the kernel directly.
public enum EntropySource {
    /// Most bytes one `get-random-bytes` / `get-insecure-random-bytes` may ask for (64 KiB).
    public static let maxBytesPerCall = 64 * 1024

    /// Why a request was refused.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The guest asked for more than `maxBytesPerCall` bytes.
        case tooManyBytes(requested: UInt64, limit: Int)

        /// Names the interface, the request and the cap, so the app's author knows to batch.
        public var description: String {
            switch self {
            case .tooManyBytes(let requested, let limit):
                return "wasi:random: asked for \(requested) random bytes in one call; the limit is \(limit) (ask in smaller pieces)"
            }
        }
    }

    /// `count` bytes from the CSPRNG. - Throws: `tooManyBytes` above the 64 KiB cap.
    public static func bytes(_ count: UInt64) throws -> [UInt8] {
        guard count <= UInt64(maxBytesPerCall) else { throw Failure.tooManyBytes(requested: count, limit: maxBytesPerCall) }
        guard count > 0 else { return [] }
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: Int(count) * 8))
        return key.withUnsafeBytes { Array($0) }
    }

    /// One random `u64` from the CSPRNG.
    public static func u64() -> UInt64 {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: 64))
        return key.withUnsafeBytes { raw in raw.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } }
    }
}
