import Foundation
import XCTest

@testable import Attestation

/// Builders for synthetic evidence and temp directories standing in for devices.
enum Fixtures {
    /// A test-setup failure with a message.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A fresh temporary directory, removed at the end of the test.
    static func tempDirectory(_ test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "attest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A configfs-tsm report directory standing in for the device: `<root>/e1` with `provider`,
    /// an empty `inblob`, a pre-made `outblob` (plain files cannot react to the write) and, if
    /// given, `generation`. Returns `root`.
    static func tsmEntry(_ test: XCTestCase, provider: String, outblob: [UInt8], generation: String? = nil) throws -> String {
        let root = try tempDirectory(test)
        let entry = root + "/e1"
        try FileManager.default.createDirectory(atPath: entry, withIntermediateDirectories: true)
        try write([], entry + "/inblob")
        try write(outblob, entry + "/outblob")
        try write(Array((provider + "\n").utf8), entry + "/provider")
        if let generation { try write(Array(generation.utf8), entry + "/generation") }
        return root
    }

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// An SGX DCAP v3 quote with the full layout (header, report body, signature data with a QE
    /// section and an empty PCK chain) but made-up signatures: it parses, it never verifies.
    /// Version 4 has TEE type 0 (SGX); version 5 adds the body descriptor (type 1, 384 bytes).
    static func sgxQuote(reportData: [UInt8], mrenclave: [UInt8] = Array(repeating: 0xe1, count: 32), version: UInt8 = 3) -> [UInt8] {
        let body = version == 5 ? 54 : 48
        var quote = [UInt8](repeating: 0, count: body + 384)
        quote[0] = version  // little-endian
        quote[2] = 2  // attestation key type ECDSA-P256
        if version == 5 { quote[48] = 1; quote[50] = 0x80; quote[51] = 0x01 }  // body type 1, size 384
        quote.replaceSubrange(body + 64 ..< body + 96, with: mrenclave)
        quote.replaceSubrange(body + 320 ..< body + 384, with: reportData)
        return quote + signatureData(version: Int(version))
    }

    /// A TDX quote (v4, or v5 with a TD 1.0 body) with the given MRTD and report data, laid out
    /// in full like ``sgxQuote(reportData:mrenclave:)`` and equally unsigned.
    static func tdxQuote(reportData: [UInt8], version: UInt8 = 4, mrtd: [UInt8] = Array(repeating: 0x7d, count: 48)) -> [UInt8] {
        let body = version == 5 ? 54 : 48
        var quote = [UInt8](repeating: 0, count: body + 584)
        quote[0] = version
        quote[2] = 2
        quote[4] = 0x81  // TEE type TDX
        if version == 5 { quote[48] = 2; quote[50] = 0x48; quote[51] = 0x02 }  // body type 2, size 584
        quote.replaceSubrange(body + 136 ..< body + 184, with: mrtd)
        quote.replaceSubrange(body + 520 ..< body + 584, with: reportData)
        return quote + signatureData(version: Int(version))
    }

    /// Signature data: length, signature, key, QE section (v3 directly, v4/v5 as certification data type 6).
    private static func signatureData(version: Int) -> [UInt8] {
        func le(_ value: Int, _ count: Int) -> [UInt8] { (0 ..< count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let qe = [UInt8](repeating: 0x11, count: 384 + 64) + le(0, 2) + le(5, 2) + le(0, 4)
        let section = version == 3 ? qe : le(6, 2) + le(qe.count, 4) + qe
        let data = [UInt8](repeating: 0x22, count: 128) + section
        return le(data.count, 4) + data
    }

    /// An SEV-SNP attestation report (1184 bytes).
    static func snpReport(reportData: [UInt8], measurement: [UInt8] = Array(repeating: 0x5e, count: 48)) -> [UInt8] {
        var report = [UInt8](repeating: 0, count: 0x4A0)
        report[0] = 2  // version
        report[0x34] = 1  // signature algorithm ECDSA P-384 with SHA-384
        report.replaceSubrange(0x50 ..< 0x90, with: reportData)
        report.replaceSubrange(0x90 ..< 0xC0, with: measurement)
        return report
    }

    static let egressHash = [UInt8](repeating: 0xaa, count: 32)

    static func hash(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 32) }
}

/// A provider that wraps report data into synthetic hardware evidence, to test the
/// verifier's hardware path (binding and measurements) without hardware.
struct SyntheticHardwareProvider: AttestationProvider {
    var format: EvidenceFormat
    var kind: AttestationKind { format == .sgxQuote ? .gramineSGX : .tsm }
    var isHardware: Bool { true }

    func evidence(reportData: [UInt8]) throws -> Evidence {
        switch format {
        case .sgxQuote: return Evidence(format: format, bytes: Fixtures.sgxQuote(reportData: reportData))
        case .tdxQuote: return Evidence(format: format, bytes: Fixtures.tdxQuote(reportData: reportData))
        case .sevSnpReport: return Evidence(format: format, bytes: Fixtures.snpReport(reportData: reportData))
        case .simulated: return try SimulatedProvider().evidence(reportData: reportData)
        }
    }
}
