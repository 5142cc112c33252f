import Foundation
import Synchronization

/// What an app keeps in the store: rows, and the bytes they hold as stored (sealed value and
/// sealed name; the 32-byte row id is not counted).
public struct StorageUsage: Sendable, Equatable {
    public var entries: Int
    public var bytes: Int

    public init(entries: Int, bytes: Int) {
        self.entries = entries
        self.bytes = bytes
    }
}

/// A write refused because it would take an app past its quota, as reported to the server's
/// log (the guest sees `wasi:filesystem error-code::quota`).
public struct QuotaRefusal: Sendable, Equatable {
    /// The app whose write was refused.
    public var appName: String
    /// Which limit, and the usage the write would have reached.
    public var detail: String
    /// Refusals of this app since the last report (the first one is reported at once, then at
    /// most one report a minute, so a guest looping on a full store cannot flood the log).
    public var count: Int
}

/// Counts one app's usage and admits or refuses each batch of writes against its limits.
///
/// The usage is measured from the backend on the first write (so restoring many apps costs
/// nothing) and then kept up to date by every write through this meter; writes are serialised
/// per app so that the check and the commit cannot interleave. Another process writing the
/// same rows (a cluster node) is not seen until this one is reopened: the quota holds per
/// server process.
final class StorageQuotaMeter: Sendable {
    private struct State {
        /// The app's usage, counted once and then kept up to date; nil until the first write.
        var usage: StorageUsage?
        /// Refusals not reported yet.
        var unreported = 0
        var lastReport: Date?
    }
    private let state = Mutex(State())
    private let maxBytes: Int
    private let maxEntries: Int
    private let appName: String
    private let report: (@Sendable (QuotaRefusal) -> Void)?

    /// How often refusals of one app are reported after the first.
    static let reportInterval: TimeInterval = 60

    init(appName: String, maxBytes: Int, maxEntries: Int, report: (@Sendable (QuotaRefusal) -> Void)?) {
        self.appName = appName
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
        self.report = report
    }

    /// Whether any limit applies (otherwise writes skip the accounting entirely).
    var isLimited: Bool { maxBytes != .max || maxEntries != .max }

    /// Applies `writes` through `commit` if they keep the app within its quota.
    /// - Parameters:
    ///   - size: the stored size of a row now (nil: absent).
    ///   - measure: the app's whole usage, read once.
    /// - Throws: `SealedStoreError.quotaExceeded`, or what `commit` throws (usage unchanged).
    func apply(_ writes: [StorageWrite], size: ([UInt8]) throws -> Int?, measure: () throws -> StorageUsage,
               commit: () throws -> Void) throws {
        try state.withLock { state in try apply(writes, size: size, measure: measure, commit: commit, state: &state) }
    }

    private func apply(_ writes: [StorageWrite], size: ([UInt8]) throws -> Int?, measure: () throws -> StorageUsage,
                       commit: () throws -> Void, state: inout State) throws {
        var current = try state.usage ?? measure()
        state.usage = current
        // Sizes as they will be after the batch, row by row (a batch may touch a row twice).
        var after: [[UInt8]: Int?] = [:]
        var delta = StorageUsage(entries: 0, bytes: 0)
        for write in writes {
            let name: [UInt8]
            let newSize: Int?
            switch write {
            case .put(let row, let sealedName, let value):
                name = row
                newSize = sealedName.count + value.count
            case .delete(let row):
                name = row
                newSize = nil
            }
            let oldSize: Int? = try after[name] ?? size(name)
            delta.entries += (newSize == nil ? 0 : 1) - (oldSize == nil ? 0 : 1)
            delta.bytes += (newSize ?? 0) - (oldSize ?? 0)
            after[name] = .some(newSize)
        }
        let bytes = current.bytes + delta.bytes
        let entries = current.entries + delta.entries
        // Writes that shrink the usage are always allowed, so an app over a lowered quota can
        // still delete and truncate its way back under it.
        if delta.bytes > 0, bytes > maxBytes {
            throw refuse("\(bytes) bytes stored would exceed the app's storage quota of \(maxBytes) bytes (--max-app-storage-mib)",
                         state: &state)
        }
        if delta.entries > 0, entries > maxEntries {
            throw refuse("\(entries) entries would exceed the app's quota of \(maxEntries) entries (--max-app-entries)",
                         state: &state)
        }
        try commit()
        current.bytes = bytes
        current.entries = entries
        state.usage = current
    }

    /// Refuses (and reports) `growth` more bytes when they would not fit the byte quota as
    /// counted now: an early answer for a writer that buffers (a file growing before it is
    /// written back); the commit checks exactly.
    func checkGrowth(_ growth: Int, measure: () throws -> StorageUsage) throws {
        guard maxBytes != .max, growth > 0 else { return }
        try state.withLock { state in
            let current = try state.usage ?? measure()
            state.usage = current
            if current.bytes + growth > maxBytes {
                throw refuse("\(current.bytes + growth) bytes stored would exceed the app's storage quota of \(maxBytes) bytes "
                    + "(--max-app-storage-mib)", state: &state)
            }
        }
    }

    /// The usage counted so far (nil until the first write).
    var counted: StorageUsage? {
        state.withLock { $0.usage }
    }

    /// Builds the error and reports it (first at once, then at most once per interval).
    /// Called with the lock held (`state`).
    private func refuse(_ detail: String, state: inout State) -> SealedStoreError {
        state.unreported += 1
        let now = Date()
        if let report, state.lastReport.map({ now.timeIntervalSince($0) >= Self.reportInterval }) ?? true {
            report(QuotaRefusal(appName: appName, detail: detail, count: state.unreported))
            state.unreported = 0
            state.lastReport = now
        }
        return .quotaExceeded(app: appName, detail: detail)
    }
}

extension StorageBackend {
    /// Default for backends without a cheaper way: reads every row of the namespace.
    public func usage(namespace: [UInt8]) throws -> StorageUsage {
        var usage = StorageUsage(entries: 0, bytes: 0)
        for row in try names(namespace: namespace) {
            usage.entries += 1
            usage.bytes += row.sealedName.count + (try value(namespace: namespace, name: row.name)?.count ?? 0)
        }
        return usage
    }

    /// Default for backends without a cheaper way: reads the row's value and its name.
    public func storedSize(namespace: [UInt8], name: [UInt8]) throws -> Int? {
        guard let value = try value(namespace: namespace, name: name) else { return nil }
        let sealedName = try names(namespace: namespace).first { $0.name == name }?.sealedName.count ?? 0
        return value.count + sealedName
    }
}
