import Crypto
import Foundation
import NIOSSL

/// The trust anchors of egress TLS, read once at start-up so that what is attested
/// (`sha256`) is exactly what is trusted: a later change of the file has no effect.
public struct EgressTrustBundle: Sendable {
    /// Largest bundle file accepted (the Mozilla bundle is ~220 KB).
    public static let maxFileBytes = 16 * 1024 * 1024

    /// The file the anchors came from.
    public let path: String
    /// The parsed anchors.
    public let certificates: [NIOSSLCertificate]
    /// SHA-256 of the file's bytes as loaded (the RA-TLS egress CA bundle hash, docs/attestation.md).
    public let sha256: [UInt8]

    /// `sha256` as lowercase hex.
    public var sha256Hex: String { sha256.map { String(format: "%02x", $0) }.joined() }

    /// Loads `path`, or the first existing system Mozilla bundle when `path` is nil.
    public static func load(path: String?) throws(EgressError) -> EgressTrustBundle {
        let chosen: String
        if let path {
            chosen = path
        } else if let system = EgressConfiguration.systemBundleCandidates.first(where: {
            FileManager.default.isReadableFile(atPath: $0)
        }) {
            chosen = system
        } else {
            throw .configuration(
                "no system CA bundle found (tried \(EgressConfiguration.systemBundleCandidates.joined(separator: ", "))); install ca-certificates or pass --egress-ca-bundle FILE")
        }
        return try load(file: chosen)
    }

    /// Reads and parses one PEM file.
    private static func load(file: String) throws(EgressError) -> EgressTrustBundle {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw .configuration("cannot read CA bundle \(file): no such file or not readable")
        }
        defer { try? handle.close() }
        // Read one byte past the cap to detect an oversized file without trusting its size.
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw .configuration("cannot read CA bundle \(file): \(error)")
        }
        guard data.count <= maxFileBytes else {
            throw .configuration("CA bundle \(file) is larger than \(maxFileBytes) bytes")
        }
        let bytes = [UInt8](data)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw .configuration("CA bundle \(file) is not a PEM certificate list: \(error)")
        }
        guard !certificates.isEmpty else {
            throw .configuration("CA bundle \(file) contains no certificates")
        }
        return EgressTrustBundle(path: file, certificates: certificates, sha256: Array(SHA256.hash(data: bytes)))
    }

    /// Parses per-request DER roots (wit/ and docs/sdk.md: an app may bring its own anchors).
    static func parseDERRoots(_ roots: [[UInt8]]) throws(EgressError) -> [NIOSSLCertificate] {
        guard roots.count <= 16 else { throw .invalidTrustRoot("at most 16 roots per request, got \(roots.count)") }
        var certificates: [NIOSSLCertificate] = []
        for (index, der) in roots.enumerated() {
            guard !der.isEmpty, der.count <= 64 * 1024 else {
                throw .invalidTrustRoot("root \(index) has \(der.count) bytes (expected 1...65536)")
            }
            do {
                certificates.append(try NIOSSLCertificate(bytes: der, format: .der))
            } catch {
                throw .invalidTrustRoot("root \(index) is not a DER X.509 certificate")
            }
        }
        guard !certificates.isEmpty else { throw .invalidTrustRoot("the list of roots is empty") }
        return certificates
    }
}
