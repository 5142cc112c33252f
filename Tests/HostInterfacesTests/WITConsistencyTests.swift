import Foundation
import XCTest
@testable import HostInterfaces

/// The Swift enums must match the WIT we ship, case for case (the case index is the wire value).
final class WITConsistencyTests: XCTestCase {
    private func cases(of block: String, in file: String) throws -> [String] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(file), encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: block + " {"), "no \(block) in \(file)")
        let body = text[start.upperBound...].prefix { $0 != "}" }
        return body.split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("//") }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
    }

    func testErrorCodeMatchesWIT() throws {
        XCTAssertEqual(try cases(of: "enum error-code", in: "wit/deps/filesystem/types.wit"), WASIErrorCode.witNames)
    }

    func testFlagsMatchWIT() throws {
        XCTAssertEqual(try cases(of: "flags descriptor-flags", in: "wit/deps/filesystem/types.wit"),
                       ["read", "write", "file-integrity-sync", "data-integrity-sync", "requested-write-sync", "mutate-directory"])
        XCTAssertEqual(DescriptorFlags(bools: [false, false, false, false, false, true]), .mutateDirectory)
        XCTAssertEqual(try cases(of: "flags open-flags", in: "wit/deps/filesystem/types.wit"),
                       ["create", "directory", "exclusive", "truncate"])
        XCTAssertEqual(OpenFlags(bools: [false, false, false, true]), .truncate)
    }
}
