import Crypto
import Dispatch
import Synchronization
import XCTest
@testable import SealedStore

/// The store's AES-256-GCM (`AESGCMKey`) against references we did not write: the GCM
/// specification's test case 16 (McGrew and Viega, AES-256 with a 96-bit IV and additional
/// data) and swift-crypto's `AES.GCM`, whose combined box is the store's layout.
final class AESGCMKeyTests: XCTestCase {
    private func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    func testTheSpecificationsTestVectorOpens() throws {
        let key = AESGCMKey(SymmetricKey(data: hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")))
        let nonce = hex("cafebabefacedbaddecaf888")
        let plaintext = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let ciphertext = hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                             + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
        let tag = hex("76fc6ece0f4e1768cddf8853bb2d551b")
        XCTAssertEqual(key.open(nonce + ciphertext + tag, aad: aad), plaintext)
        var altered = nonce + ciphertext + tag
        altered[20] ^= 1
        XCTAssertNil(key.open(altered, aad: aad))
        XCTAssertNil(key.open(nonce + ciphertext + tag, aad: aad.dropLast()))
    }

    /// Each side opens what the other sealed, for empty, short and long plaintexts; a fresh
    /// nonce per seal.
    func testItInteroperatesWithSwiftCryptosAESGCM() throws {
        let symmetric = SymmetricKey(size: .bits256)
        let key = AESGCMKey(symmetric)
        let aad = Array("enclaveos.kv.value.v1 app key".utf8)
        for size in [0, 1, 15, 16, 17, 32, 1000, 70_000] {
            let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let sealed = try key.seal(plaintext, aad: aad)
            XCTAssertEqual(sealed.count, AESGCMKey.nonceBytes + size + AESGCMKey.tagBytes)
            XCTAssertEqual(Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: symmetric, authenticating: aad)), plaintext)
            let theirs = try XCTUnwrap(try AES.GCM.seal(plaintext, using: symmetric, authenticating: aad).combined)
            XCTAssertEqual(key.open(Array(theirs), aad: aad), plaintext, "\(size) bytes")
            XCTAssertNotEqual(try key.seal(plaintext, aad: aad).prefix(AESGCMKey.nonceBytes), sealed.prefix(AESGCMKey.nonceBytes))
        }
        XCTAssertNil(key.open([UInt8](repeating: 0, count: AESGCMKey.nonceBytes + AESGCMKey.tagBytes - 1), aad: aad))
        XCTAssertNil(key.open(try key.seal([1, 2, 3], aad: aad), aad: []))
        XCTAssertNil(AESGCMKey(SymmetricKey(size: .bits256)).open(try key.seal([1, 2, 3], aad: aad), aad: aad))
    }

    /// One key seals and opens on many threads at once (the store's writers share an app's keys).
    func testOneKeyServesManyThreadsAtOnce() throws {
        let key = AESGCMKey(SymmetricKey(size: .bits256))
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<500 {
                let plaintext = Array("thread \(thread) round \(round)".utf8)
                let aad = Array("row \(thread)".utf8)
                guard let sealed = try? key.seal(plaintext, aad: aad), key.open(sealed, aad: aad) == plaintext else {
                    failures.withLock { $0 += 1 }
                    continue
                }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }
}
