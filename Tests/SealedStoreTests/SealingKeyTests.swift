import XCTest
@testable import SealedStore

final class SealingKeyTests: XCTestCase {
    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func testCreatedOnFirstStartWith0600And32BytesAndStable() throws {
        let dir = try TempDirectory()
        let data = dir.file("data")
        let first = try SimulatedSealingKey(directory: data)
        XCTAssertTrue(first.isSimulated)
        XCTAssertEqual(first.kind, "simulated")
        XCTAssertEqual(try mode(first.path), 0o600)
        XCTAssertEqual(try mode(data), 0o700)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: first.path)[.size] as? NSNumber, 32)
        let second = try SimulatedSealingKey(directory: data)
        XCTAssertEqual(try first.sealingKey(), try second.sealingKey())
        XCTAssertNotEqual(try first.sealingKey(), try SimulatedSealingKey(directory: dir.file("other")).sealingKey())
    }

    func testWiderPermissionsAreRefused() throws {
        let dir = try TempDirectory()
        let key = try SimulatedSealingKey(directory: dir.path)
        for bad in [0o644, 0o640, 0o604, 0o660] {
            XCTAssertEqual(chmod(key.path, mode_t(bad)), 0)
            XCTAssertThrowsError(try SimulatedSealingKey(directory: dir.path)) { error in
                XCTAssertTrue("\(error)".contains("chmod 600"), "\(error)")
                XCTAssertTrue("\(error)".contains(String(bad, radix: 8)), "\(error)")
            }
        }
        XCTAssertEqual(chmod(key.path, 0o400), 0)
        XCTAssertNoThrow(try SimulatedSealingKey(directory: dir.path))
    }

    func testWrongSizeAndSymlinkAreRefused() throws {
        let dir = try TempDirectory()
        let path = dir.file(SimulatedSealingKey.fileName)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: 31),
                                                     attributes: [.posixPermissions: 0o600]))
        XCTAssertThrowsError(try SimulatedSealingKey(directory: dir.path)) { error in
            XCTAssertTrue("\(error)".contains("is 31 bytes; expected 32"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: path)
        let target = dir.file("elsewhere")
        XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: Data(repeating: 1, count: 32),
                                                     attributes: [.posixPermissions: 0o600]))
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        XCTAssertThrowsError(try SimulatedSealingKey(directory: dir.path)) { error in
            XCTAssertTrue("\(error)".contains("symlink"), "\(error)")
        }
    }

    func testReplacedKeyFileMakesRecordsUnreadableNotSilentlyEmpty() throws {
        let dir = try TempDirectory()
        try SealedStore.open(dataDirectory: dir.path).saveApp(AppRecord(name: "a", code: bytes("c"), key: .generate()))
        let keyPath = dir.file(SimulatedSealingKey.fileName)
        try FileManager.default.removeItem(atPath: keyPath)
        let store = try SealedStore.open(dataDirectory: dir.path)
        assertIntegrityError(try store.loadApps())
    }
}
