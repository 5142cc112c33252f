@preconcurrency import Crypto
import XCTest
@testable import SealedStore

final class AppKeyTests: XCTestCase {
    func testGeneratedKeysAreRandomAndLabelled() {
        let a = AppKey.generate(), b = AppKey.generate()
        XCTAssertEqual(a.keySource, "generated")
        XCTAssertTrue(a.isGenerated)
        XCTAssertEqual(a.key.bitCount, 256)
        XCTAssertNotEqual(a.key, b.key)
    }

    func testBYOKKeySourceIsSHA256OfKeyBytes() throws {
        let hex = String(repeating: "ab", count: 32)
        let key = try AppKey.fromHex(hex)
        let expected = SHA256.hash(data: [UInt8](repeating: 0xab, count: 32))
            .map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(key.keySource, "byok:" + expected)
        XCTAssertFalse(key.isGenerated)
        // Upper case decodes to the same key.
        XCTAssertEqual(try AppKey.fromHex(hex.uppercased()).keySource, key.keySource)
    }

    func testBYOKCompatErrors() {
        func message(_ text: String) -> String {
            do { _ = try AppKey.fromHex(text); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("zz" + String(repeating: "0", count: 62)), "encryption_key: invalid hex encoding")
        XCTAssertEqual(message(String(repeating: "0", count: 63)), "encryption_key: invalid hex encoding")
        XCTAssertEqual(message(" " + String(repeating: "0", count: 63)), "encryption_key: invalid hex encoding")
        XCTAssertEqual(message("0011"), "encryption_key: expected 32 bytes, got 2")
        XCTAssertEqual(message(""), "encryption_key: expected 32 bytes, got 0")
        XCTAssertEqual(message(String(repeating: "0", count: 66)), "encryption_key: expected 32 bytes, got 33")
    }

    func testDerivedSubKeysDifferPerAppAndKey() {
        let key = AppKey.generate()
        let a = DerivedAppKeys(appKey: key, appName: "a")
        let b = DerivedAppKeys(appKey: key, appName: "b")
        let a2 = DerivedAppKeys(appKey: AppKey.generate(), appName: "a")
        XCTAssertNotEqual(a.namespace, b.namespace)
        XCTAssertNotEqual(a.namespace, a2.namespace)
        XCTAssertNotEqual(a.rowName(for: bytes("k")), b.rowName(for: bytes("k")))
        XCTAssertEqual(a.rowName(for: bytes("k")).count, 32)
        // Length prefixing: ("ab","c") and ("a","bc") must not collide.
        let ab = DerivedAppKeys(appKey: key, appName: "ab"), abc = DerivedAppKeys(appKey: key, appName: "a")
        XCTAssertNotEqual(ab.rowName(for: bytes("c")), abc.rowName(for: bytes("bc")))
    }

    func testValueLayoutIsNonceCiphertextTag() throws {
        let keys = DerivedAppKeys(appKey: .generate(), appName: "app")
        let sealed = try keys.sealValue(bytes("hello"), key: bytes("k"))
        XCTAssertEqual(sealed.count, 12 + 5 + 16)
        XCTAssertEqual(try keys.openValue(sealed, key: bytes("k")), bytes("hello"))
        // Same plaintext twice: fresh nonce, different ciphertext.
        XCTAssertNotEqual(sealed, try keys.sealValue(bytes("hello"), key: bytes("k")))
    }
}
