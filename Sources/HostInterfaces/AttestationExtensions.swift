import Foundation
import SealedStore
import Synchronization

/// One app's `set-attestation-extension` values: shared by all its calls, persisted in its
/// sealed store, and announced through `onChange` so the server re-issues its certificate.
public final class AttestationExtensions: Sendable {
    /// Largest value, in bytes (the original SDK's cap).
    public static let maxValueBytes = 4096
    /// Most distinct arcs per app, so an app cannot grow its certificate without bound.
    public static let maxExtensions = 16
    /// The store-key prefix of persisted values.
    public static let storePrefix = "attest-ext:"

    private let values: Mutex<[UInt32: [UInt8]]>
    private let onChange: @Sendable () -> Void

    /// Extensions starting from `values` (read back from the store), calling `onChange` after
    /// each change.
    public init(values: [UInt32: [UInt8]] = [:], onChange: @escaping @Sendable () -> Void = {}) {
        self.values = Mutex(values)
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
        values.withLock { $0 }
    }

    /// Replaces every value with `values` (what another server of a cluster stored), without
    /// calling `onChange`. Returns whether anything changed.
    public func replace(with values: [UInt32: [UInt8]]) -> Bool {
        self.values.withLock { current in
            guard current != values else { return false }
            current = values
            return true
        }
    }

    func set(arc: UInt32, value: [UInt8], kv: SealedKV) throws {
        let changed = try values.withLock { values throws(SDKError) -> Bool in
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
