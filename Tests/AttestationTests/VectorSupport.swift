import Foundation
import XCTest

@testable import Attestation

/// The committed attestation vectors (`Vectors/`, real published evidence) and their expected
/// results (`Vectors/expected.json`, shared with `python/test_evidence.py`).
enum Vectors {
    static var directory: String {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("Vectors").path
    }

    static func read(_ relative: String) throws -> [UInt8] {
        try Fixtures.read(directory + "/" + relative)
    }

    /// A server certificate whose evidence extension carries the real TDX quote of
    /// `tdx-v4-dcap-qvl` (not made for this certificate's key, so its binding must fail), built
    /// deterministically at `time`; with the quote it carries.
    static func certificateWithRealTDXQuote(at time: Date) throws -> (certificateDER: [UInt8], quote: [UInt8]) {
        struct Replaying: AttestationProvider {
            let quote: [UInt8]
            var kind: AttestationKind { .tsm }
            var isHardware: Bool { true }
            func evidence(reportData: [UInt8]) throws -> Evidence { Evidence(format: .tdxQuote, bytes: quote) }
        }
        let quote = Array(try read("tdx-v4-dcap-qvl/quote.bin")[0 ..< 4936])
        let built = try AttestedCertificateBuilder(provider: Replaying(quote: quote))
            .build(.server(ServerFacts(egressCABundleHash: Fixtures.egressHash, apps: [])), mode: .deterministic(now: time))
        return (built.certificateDER, quote)
    }

    /// One case of expected.json.
    struct Case {
        var name: String
        var evidence: String
        var time: Date
        var collateral: [String: Any]?
        var policyJSON: [UInt8]
        var failures: [String]
        var reason: String?
        var tcbStatus: String?
        var advisoryIDs: [String]?
        var qeStatus: String?
        var values: [String: String]
    }

    /// One VCEK chain case.
    struct Chain {
        var name: String, vcek: String, askArk: String?, time: Date, valid: Bool, product: String
    }

    static func document() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/expected.json"))
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Fixtures.Failure("expected.json is not an object")
        }
        return document
    }

    static func cases() throws -> [Case] {
        guard let list = try document()["cases"] as? [[String: Any]] else { throw Fixtures.Failure("expected.json has no cases") }
        return try list.map { item in
            guard let name = item["name"] as? String, let evidence = item["evidence"] as? String,
                  let at = item["at"] as? String, let time = Timestamp.parse(at),
                  let policy = item["policy"], let failures = item["failures"] as? [String]
            else { throw Fixtures.Failure("malformed case \(item)") }
            return Case(
                name: name, evidence: evidence, time: time, collateral: item["collateral"] as? [String: Any],
                policyJSON: [UInt8](try JSONSerialization.data(withJSONObject: policy)), failures: failures,
                reason: item["reason"] as? String, tcbStatus: item["tcb_status"] as? String,
                advisoryIDs: item["advisory_ids"] as? [String], qeStatus: item["qe_status"] as? String,
                values: item["values"] as? [String: String] ?? [:]
            )
        }
    }

    static func chains() throws -> [Chain] {
        guard let list = try document()["chains"] as? [[String: Any]] else { throw Fixtures.Failure("expected.json has no chains") }
        return try list.map { item in
            guard let name = item["name"] as? String, let vcek = item["vcek"] as? String, let at = item["at"] as? String,
                  let time = Timestamp.parse(at), let valid = item["valid"] as? Bool, let product = item["product"] as? String
            else { throw Fixtures.Failure("malformed chain \(item)") }
            return Chain(name: name, vcek: vcek, askArk: item["ask_ark"] as? String, time: time, valid: valid, product: product)
        }
    }

    /// The case's collateral: a vector folder, or a temporary folder assembled from files.
    static func collateral(_ spec: [String: Any]?, _ test: XCTestCase) throws -> EvidenceVerifier.Collateral {
        guard let spec else { return .none }
        if let folder = spec["dir"] as? String { return .directory(directory + "/" + folder) }
        let temp = try Fixtures.tempDirectory(test)
        for (name, relative) in spec["files"] as? [String: String] ?? [:] {
            try FileManager.default.copyItem(atPath: directory + "/" + relative, toPath: temp + "/" + name)
        }
        return .directory(temp)
    }

    /// Verifies a case at `time` (its own by default).
    static func verify(_ item: Case, at time: Date? = nil, _ test: XCTestCase) throws -> VerificationReport {
        let policy = try EvidencePolicy(json: item.policyJSON)
        let verifier = EvidenceVerifier(collateral: try collateral(item.collateral, test), time: time ?? item.time, policy: policy)
        return verifier.verify(evidence: try read(item.evidence))
    }
}
