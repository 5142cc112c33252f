import Components
import Foundation
import SealedStore

/// `privasys:enclave-os/attestation@0.1.0`: `set-attestation-extension` puts an app-chosen value
/// in the app's own RA-TLS certificate under `1.3.6.1.4.1.65230.3.5.{arc-suffix}`, persisted in
/// its sealed store (`attest-ext:<arc>`) and re-served after a restart. `set-config-complete`
/// belongs to the original's configure-then-freeze flow, which EnclaveOS does not gate on: it
/// always answers `ok`.
enum AttestationInterface {
    static let name = "privasys:enclave-os/attestation@0.1.0"

    static let interface = WASIInterface(name: name, functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("set-attestation-extension") { session, args in
            let (arc, value) = (try args.u32(0), try args.bytes(1))
            return try SDKResult.run {
                guard value.count <= AttestationExtensions.maxValueBytes else {
                    throw SDKError("attestation extension value exceeds \(AttestationExtensions.maxValueBytes) bytes")
                }
                guard let extensions = session.app?.attestation, let kv = session.kv else {
                    throw SDKError("attestation extensions are not available here (no app certificate, e.g. during the instantiation at load)")
                }
                try extensions.set(arc: arc, value: value, kv: kv)
                return nil
            }
        },
        WASIInterface.function("set-config-complete") { _, _ in SDKResult.ok() },
    ]))
}

/// One app's `set-attestation-extension` values: shared by all its calls, persisted in its
/// sealed store, and announced through `onChange` so the server re-issues its certificate.
public final class AttestationExtensions: @unchecked Sendable {
    // @unchecked: `values` is only read or written while holding `lock`; `onChange` is immutable.
    /// Largest value, in bytes (the original SDK's cap).
    public static let maxValueBytes = 4096
    /// Most distinct arcs per app, so an app cannot grow its certificate without bound.
    public static let maxExtensions = 16
    /// The store-key prefix of persisted values.
    public static let storePrefix = "attest-ext:"

    private let lock = NSLock()
    private var values: [UInt32: [UInt8]]
    private let onChange: @Sendable () -> Void

    /// Extensions starting from `values` (read back from the store), calling `onChange` after
    /// each change.
    public init(values: [UInt32: [UInt8]] = [:], onChange: @escaping @Sendable () -> Void = {}) {
        self.values = values
        self.onChange = onChange
    }

    /// The values persisted in an app's store.
    public static func stored(in kv: SealedKV) throws -> [UInt32: [UInt8]] {
        var values: [UInt32: [UInt8]] = [:]
        for key in try kv.keys(withPrefix: storePrefix) {
            guard let arc = UInt32(key.dropFirst(storePrefix.count)), let value = try kv.get(key) else { continue }
            values[arc] = value
        }
        return values
    }

    /// The current values, by arc.
    public var current: [UInt32: [UInt8]] {
        lock.withLock { values }
    }

    func set(arc: UInt32, value: [UInt8], kv: SealedKV) throws {
        let changed = try lock.withLock { () throws -> Bool in
            guard values[arc] != nil || values.count < Self.maxExtensions else {
                throw SDKError("at most \(Self.maxExtensions) attestation extensions per app")
            }
            guard values[arc] != value else { return false }
            do { try kv.put("\(Self.storePrefix)\(arc)", value) } catch { throw SDKError("KV store write failed") }
            values[arc] = value
            return true
        }
        if changed { onChange() }
    }
}
