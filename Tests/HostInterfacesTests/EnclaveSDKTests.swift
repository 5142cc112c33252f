import Components
@preconcurrency import Crypto
import Foundation
@testable import HostInterfaces
import SealedStore
import Synchronization
import XCTest

/// The SDK host functions called directly (the componentize-py guest calls crypto and keystore
/// end to end in `ComponentizePyTests`): sealing, attestation extensions, keystore bounds.
final class EnclaveSDKTests: XCTestCase {
    private let imports: HostImports = {
        var imports = HostImports()
        EnclaveSDK.register(into: &imports)
        return imports
    }()

    private func call(_ interface: String, _ function: String, _ arguments: [ComponentValue], _ session: WASISession) throws -> ComponentValue {
        let host = try XCTUnwrap(imports.instances["privasys:enclave-os/\(interface)@0.1.0"]?[function], "\(interface)#\(function)")
        return try XCTUnwrap(try host.invoke(arguments, session: session).first)
    }

    private func app(codeHash: UInt8, root: SymmetricKey, extensions: AttestationExtensions? = nil) -> EnclaveApp {
        EnclaveApp(name: "app", codeHash: [UInt8](repeating: codeHash, count: 32), sealingRoot: root, attestation: extensions)
    }

    func testSealedDataOpensOnlyUnderTheSameCodeAndAAD() throws {
        let root = SymmetricKey(size: .bits256)
        let session = WASISession(kv: try makeKV(), app: app(codeHash: 1, root: root))
        let secret = ComponentValue.bytes(Array("for this code only".utf8))
        guard case .result(false, let sealed?) = try call("sealing", "seal", [secret, .bytes([1, 2])], session),
              let sealedBytes = sealed.byteList else { return XCTFail("seal failed") }
        XCTAssertEqual(sealedBytes.count, 12 + 18 + 16, "nonce ‖ ciphertext ‖ tag")
        XCTAssertEqual(try call("sealing", "unseal", [sealed, .bytes([1, 2])], session), .result(isError: false, payload: secret))
        // Another app with the same code on the same root opens it; other code, root or AAD does not.
        let sameCode = WASISession(kv: try makeKV(app: "other"), app: EnclaveApp(name: "other", codeHash: [UInt8](repeating: 1, count: 32), sealingRoot: root))
        XCTAssertEqual(try call("sealing", "unseal", [sealed, .bytes([1, 2])], sameCode), .result(isError: false, payload: secret))
        let refusal = ComponentValue.result(isError: true, payload: .string("unsealing failed (not sealed by this app's code, other AAD, or tampered data)"))
        for other in [WASISession(kv: nil, app: app(codeHash: 2, root: root)), WASISession(kv: nil, app: app(codeHash: 1, root: SymmetricKey(size: .bits256)))] {
            XCTAssertEqual(try call("sealing", "unseal", [sealed, .bytes([1, 2])], other), refusal)
        }
        XCTAssertEqual(try call("sealing", "unseal", [sealed, .bytes([1, 3])], session), refusal)
        var flipped = sealedBytes
        flipped[20] ^= 1
        XCTAssertEqual(try call("sealing", "unseal", [.bytes(flipped), .bytes([1, 2])], session), refusal)
        XCTAssertEqual(try call("sealing", "unseal", [.bytes([1, 2, 3]), .bytes([])], session), refusal)
        // Without an app (a host that gave none) sealing answers err, never traps.
        guard case .result(true, _) = try call("sealing", "seal", [secret, .bytes([])], WASISession(kv: nil)) else { return XCTFail() }
    }

    func testAttestationExtensionsArePersistedCappedAndAnnounced() throws {
        let kv = try makeKV()
        let announced = LockedCount()
        let extensions = AttestationExtensions { announced.increment() }
        let session = WASISession(kv: kv, app: app(codeHash: 1, root: SymmetricKey(size: .bits256), extensions: extensions))
        let hash = ComponentValue.bytes([UInt8](repeating: 0xAB, count: 32))
        XCTAssertEqual(try call("attestation", "set-attestation-extension", [.u32(1), hash], session), .result(isError: false, payload: nil))
        XCTAssertEqual(try call("attestation", "set-attestation-extension", [.u32(1), hash], session), .result(isError: false, payload: nil))
        XCTAssertEqual(announced.value, 1, "an unchanged value does not re-issue the certificate")
        XCTAssertEqual(extensions.current, [1: [UInt8](repeating: 0xAB, count: 32)])
        XCTAssertEqual(try AttestationExtensions.stored(in: kv), extensions.current, "persisted in the app's store")
        let tooLong = ComponentValue.bytes([UInt8](repeating: 0, count: 4097))
        XCTAssertEqual(try call("attestation", "set-attestation-extension", [.u32(2), tooLong], session),
                       .result(isError: true, payload: .string("attestation extension value exceeds 4096 bytes")))
        for arc in 2...UInt32(AttestationExtensions.maxExtensions) {
            _ = try call("attestation", "set-attestation-extension", [.u32(arc), .bytes([1])], session)
        }
        XCTAssertEqual(try call("attestation", "set-attestation-extension", [.u32(999), .bytes([1])], session),
                       .result(isError: true, payload: .string("at most 16 attestation extensions per app")))
        XCTAssertEqual(try call("attestation", "set-config-complete", [], session), .result(isError: false, payload: nil))
        // Without an app certificate (e.g. during the instantiation at load): err, not a trap.
        guard case .result(true, _) = try call("attestation", "set-attestation-extension", [.u32(1), hash], WASISession(kv: kv)) else { return XCTFail() }
    }

    func testKeystoreStartsEmptyPerSessionAndIsBounded() throws {
        let kv = try makeKV()
        let first = WASISession(kv: kv)
        XCTAssertEqual(try call("keystore", "generate-symmetric-key", [.string("k")], first), .result(isError: false, payload: nil))
        XCTAssertEqual(try call("keystore", "persist-key", [.string("k")], first), .result(isError: false, payload: nil))
        XCTAssertEqual(try call("keystore", "export-public-key", [.string("k")], first),
                       .result(isError: true, payload: .string("key not found or not a signing key")), "secret keys are never exported")
        XCTAssertEqual(try call("keystore", "generate-symmetric-key", [.string("")], first), .result(isError: true, payload: .string("key name cannot be empty")))
        let second = WASISession(kv: kv)
        XCTAssertEqual(try call("keystore", "key-exists", [.string("k")], second), .result(isError: false, payload: .bool(false)))
        XCTAssertEqual(try call("keystore", "load-key", [.string("k")], second), .result(isError: false, payload: nil))
        XCTAssertEqual(try call("keystore", "load-key", [.string("k")], second), .result(isError: true, payload: .string("key already exists in memory")))
        // The persisted value is the sealed store's (encrypted there), tagged symmetric.
        XCTAssertEqual(try kv.get("key:k")?.first, 0x01)
        for index in 1..<KeyStore.maxKeys {
            _ = try call("keystore", "generate-hmac-key", [.string("h\(index)"), .enum(caseIndex: 2)], second)
        }
        XCTAssertEqual(try call("keystore", "generate-hmac-key", [.string("one-too-many"), .enum(caseIndex: 0)], second),
                       .result(isError: true, payload: .string("keystore full: at most 256 keys per call")))
    }
}

/// A thread-safe counter for callbacks.
private final class LockedCount: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
