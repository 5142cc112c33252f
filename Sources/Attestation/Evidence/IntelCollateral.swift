import Foundation

/// Intel PCS collateral for one platform, from the files of a `--collateral DIR` directory:
///
/// | file | what |
/// |---|---|
/// | `tcb-info.json` | `{"tcbInfo":{…},"signature":"<hex r‖s>"}` (TCB info v3, `SGX` or `TDX`) |
/// | `qe-identity.json` | `{"enclaveIdentity":{…},"signature":"…"}` (QE identity v2, `QE` or `TD_QE`) |
/// | `tcb-info-issuer-chain.pem`, `qe-identity-issuer-chain.pem` | Intel SGX TCB Signing + Intel SGX Root CA |
/// | `pck-crl.der` | CRL of the PCK Platform/Processor CA that issued the quote's PCK certificate |
/// | `root-ca-crl.der` | CRL of the Intel SGX Root CA |
///
/// The signatures cover the exact bytes of the object text, so the files are kept as read.
public struct IntelCollateral: Sendable {
    /// File names in a collateral directory, in the order above.
    public static let fileNames = [
        "tcb-info.json", "qe-identity.json", "tcb-info-issuer-chain.pem",
        "qe-identity-issuer-chain.pem", "pck-crl.der", "root-ca-crl.der",
    ]
    /// Intel's largest collateral file (a PCK CRL) is tens of KiB; larger files are refused.
    public static let maxFileSize = 1 << 20

    let tcbInfo: [UInt8]
    let qeIdentity: [UInt8]
    let tcbInfoIssuerChain: [UInt8]
    let qeIdentityIssuerChain: [UInt8]
    let pckCRL: [UInt8]
    let rootCACRL: [UInt8]

    /// Reads the six files from `directory`.
    /// - Throws: ``EvidenceLayoutError`` naming the missing or oversized files.
    public init(directory: String) throws {
        let missing = Self.fileNames.filter { !FileManager.default.fileExists(atPath: directory + "/" + $0) }
        guard missing.isEmpty else {
            throw EvidenceLayoutError("collateral directory \(directory) lacks \(missing.joined(separator: ", "))")
        }
        let files = try Self.fileNames.map { try CollateralFile.read(directory + "/" + $0, limit: Self.maxFileSize) }
        (tcbInfo, qeIdentity, tcbInfoIssuerChain, qeIdentityIssuerChain, pckCRL, rootCACRL) =
            (files[0], files[1], files[2], files[3], files[4], files[5])
    }
}

/// Reads collateral and evidence files with a size cap: they come from wherever the user got them.
public enum CollateralFile {
    /// The whole file, or an error naming the path when it is unreadable or larger than `limit`.
    public static func read(_ path: String, limit: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw EvidenceLayoutError("cannot read \(path)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: limit + 1)) ?? nil
        let bytes = [UInt8](data ?? Data())
        guard bytes.count <= limit else {
            throw EvidenceLayoutError("\(path) is larger than \(limit) bytes")
        }
        return bytes
    }
}

/// Intel's signed JSON: the signature covers the exact text of the object, so it is cut out of
/// the file byte for byte instead of being re-serialised.
enum SignedJSON {
    /// (object bytes, 64-byte r‖s signature) of `{"<key>":<object>,"signature":"<hex>"}`.
    static func split(_ text: [UInt8], key: String) throws -> (body: [UInt8], signature: [UInt8]) {
        let prefix = Array("{\"\(key)\":".utf8)
        let marker = Array(",\"signature\":\"".utf8)
        guard text.starts(with: prefix), let markerStart = lastIndex(of: marker, in: text) else {
            throw EvidenceLayoutError("expected {\"\(key)\":{…},\"signature\":\"…\"} exactly as Intel PCS serves it")
        }
        var tail = Array(text[(markerStart + marker.count)...])
        while let last = tail.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\r") {
            tail.removeLast()
        }
        guard tail.count == 130, tail.suffix(2) == Array("\"}".utf8),
              let signature = Hex.decode(String(decoding: tail.prefix(128), as: UTF8.self))
        else {
            throw EvidenceLayoutError("\(key) signature is not 64 bytes of hex as the last field")
        }
        return (Array(text[prefix.count ..< markerStart]), signature)
    }

    private static func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return stride(from: haystack.count - needle.count, through: 0, by: -1).first { start in
            haystack[start ..< start + needle.count].elementsEqual(needle)
        }
    }
}

/// TCB info v3 (Intel PCS API v4), the fields the verifier uses.
struct TCBInfo: Decodable {
    struct Component: Decodable { let svn: Int }
    struct Level: Decodable {
        struct TCB: Decodable {
            let sgxtcbcomponents: [Component]
            let pcesvn: Int
            let tdxtcbcomponents: [Component]?
        }
        let tcb: TCB
        let tcbDate: String?
        let tcbStatus: String
        let advisoryIDs: [String]?
    }
    struct ModuleIdentity: Decodable {
        let id: String?
        let mrsigner: String
        let attributes: String
        let attributesMask: String
        let tcbLevels: [IdentityLevel]?
    }
    let id: String?
    let version: Int
    let issueDate: String
    let nextUpdate: String
    let fmspc: String
    let pceId: String
    let tcbLevels: [Level]
    let tdxModule: ModuleIdentity?
    let tdxModuleIdentities: [ModuleIdentity]?
}

/// A TCB level keyed by an ISV SVN (QE identity, TDX module identities).
struct IdentityLevel: Decodable {
    struct TCB: Decodable { let isvsvn: Int }
    let tcb: TCB
    let tcbDate: String?
    let tcbStatus: String
    let advisoryIDs: [String]?
}

/// QE identity v2 (Intel PCS API v4 "Enclave Identity").
struct QEIdentity: Decodable {
    let id: String
    let version: Int
    let issueDate: String
    let nextUpdate: String
    let miscselect: String
    let miscselectMask: String
    let attributes: String
    let attributesMask: String
    let mrsigner: String
    let isvprodid: Int
    let tcbLevels: [IdentityLevel]
}
