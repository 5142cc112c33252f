import ArgumentParser
import Attestation
import Foundation

/// `--ca-cert FILE`: the operator CA a server's leaf must be signed by, as DER.
enum OperatorCAFile {
    static func der(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--ca-cert \(path): cannot read the file")
        }
        do {
            return try CertificateIssuer.certificateDER(pemOrDER: Array(data))
        } catch {
            throw ValidationError("--ca-cert \(path): \(error)")
        }
    }
}
