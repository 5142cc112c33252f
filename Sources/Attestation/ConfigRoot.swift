import Crypto

/// A config root: one SHA-256 committing to a list of labelled leaves, so a
/// verifier that knows the expected configuration can check a single value.
///
/// Digest = `SHA-256(lp(domain) ‖ lp(label₁) ‖ lp(value₁) ‖ lp(label₂) ‖ lp(value₂) ‖ …)`
/// where `lp(x)` = 4-byte big-endian length of `x` ‖ `x`. Length prefixes make the
/// encoding injective; labels make adding a leaf in a later version unambiguous;
/// the domain separates server and per-app roots. A flat hash rather than a Merkle
/// tree: there are only a handful of leaves and all of them are in the certificate.
///
/// The leaf lists and their order are defined here and in `docs/attestation.md`;
/// every leaf value is also carried in its own extension (or the SAN), so a
/// verifier can recompute the root from the certificate alone.
public struct ConfigRoot: Sendable, Equatable {
    /// One labelled leaf.
    public struct Leaf: Sendable, Equatable {
        /// ASCII label naming the leaf.
        public var label: String
        /// The leaf's raw value.
        public var value: [UInt8]

        /// Creates a leaf.
        public init(label: String, value: [UInt8]) {
            self.label = label
            self.value = value
        }
    }

    /// Domain of the server config root (`1.3.6.1.4.1.65230.1.1`).
    public static let serverDomain = "enclaveos/config-root/v1"
    /// Domain of the per-app config root (`1.3.6.1.4.1.65230.3.1`).
    public static let appDomain = "enclaveos/app-config-root/v1"

    /// The domain string.
    public var domain: String
    /// The leaves, in order.
    public var leaves: [Leaf]

    /// A root over arbitrary leaves.
    public init(domain: String, leaves: [Leaf]) {
        self.domain = domain
        self.leaves = leaves
    }

    /// The server root. Leaves, in order:
    /// 1. `egress-ca-bundle-sha256` — extension `65230.2.1`
    /// 2. `apps-sha256` — extension `65230.2.3`
    public static func server(egressCABundleHash: [UInt8], appsHash: [UInt8]) -> ConfigRoot {
        ConfigRoot(domain: serverDomain, leaves: [
            Leaf(label: "egress-ca-bundle-sha256", value: egressCABundleHash),
            Leaf(label: "apps-sha256", value: appsHash),
        ])
    }

    /// A per-app root. Leaves, in order:
    /// 1. `hostname` — UTF-8, the certificate's DNS subjectAltName
    /// 2. `code-sha256` — extension `65230.3.2`
    /// 3. `key-source` — UTF-8, extension `65230.3.4`
    /// 4. `egress-ca-bundle-sha256` — extension `65230.2.1`
    public static func app(hostname: String, codeHash: [UInt8], keySource: String, egressCABundleHash: [UInt8]) -> ConfigRoot {
        ConfigRoot(domain: appDomain, leaves: [
            Leaf(label: "hostname", value: Array(hostname.utf8)),
            Leaf(label: "code-sha256", value: codeHash),
            Leaf(label: "key-source", value: Array(keySource.utf8)),
            Leaf(label: "egress-ca-bundle-sha256", value: egressCABundleHash),
        ])
    }

    /// The 32-byte digest.
    public var digest: [UInt8] {
        var hasher = SHA256()
        func lengthPrefixed(_ bytes: [UInt8]) {
            let n = UInt32(truncatingIfNeeded: bytes.count)
            hasher.update(data: [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)])
            hasher.update(data: bytes)
        }
        lengthPrefixed(Array(domain.utf8))
        for leaf in leaves {
            lengthPrefixed(Array(leaf.label.utf8))
            lengthPrefixed(leaf.value)
        }
        return Array(hasher.finalize())
    }
}
