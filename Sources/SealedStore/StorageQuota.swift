import Foundation

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
/// nothing) and then kept up to date by every write through this meter; it is measured again
/// after a commit that failed (its writes may or may not have reached the database). The
/// check happens under the meter's lock, the commit outside it, so concurrent writers of one
/// app still share the backend's group commit: an admitted batch *reserves* its growth until
/// its commit ends, and a batch touching a row that an unfinished batch touches waits for it
/// (its stored size is about to change, so the check would count from a stale size). Another
/// process writing the same rows (a cluster node) is not seen until this one is reopened: the
/// quota holds per server process.
///
/// The stored size of each row a batch touches is asked from the backend once; after that the
/// meter remembers the size its own committed writes left (`knownSizes`), so a file rewritten
/// again and again costs no size query (on PostgreSQL each is a round trip). Exact for one
/// process, which sees every write; in a cluster, a row another node resized is counted from
/// the size this node last wrote, like the rest of the per-process count.
final class StorageQuotaMeter: @unchecked Sendable {
    // @unchecked: `usage`, `inFlightRows`, `reserved`, `knownSizes`, `unreported` and
    // `lastReport` are only touched while holding `condition`.
    private let condition = NSCondition()
    private var usage: StorageUsage?
    /// Rows of batches admitted but not yet committed (or failed).
    private var inFlightRows: Set<HashedBytes> = []
    /// The growth (positive deltas only) of those batches: counted against the limits until
    /// they end, so concurrent batches cannot together pass a limit each one fits alone.
    private var reserved = StorageUsage(entries: 0, bytes: 0)
    /// Stored size of rows as this meter's committed writes left them (`absentRow`: no row).
    /// Bounded by `maxKnownRows` (row names come from guest keys): emptied when full.
    private var knownSizes: [HashedBytes: Int] = [:]
    private var unreported = 0
    private var lastReport: Date?
    private let maxBytes: Int
    private let maxEntries: Int
    private let appName: String
    private let report: (@Sendable (QuotaRefusal) -> Void)?

    /// Most rows whose size the meter remembers.
    static let maxKnownRows = 4096
    /// `knownSizes` value of a row known to be absent.
    private static let absentRow = -1

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
    ///   - commit: the durable write; runs without the meter's lock, so concurrent batches of
    ///     other rows commit together.
    /// - Throws: `SealedStoreError.quotaExceeded`, or what `commit` throws (usage unchanged).
    func apply(_ writes: [StorageWrite], size: ([UInt8]) throws -> Int?, measure: () throws -> StorageUsage,
               commit: () throws -> Void) throws {
        let rows = Set(writes.map { HashedBytes($0.rowName) })
        let (delta, sizesAfter) = try admit(writes, rows: rows, size: size, measure: measure)
        let growth = StorageUsage(entries: max(0, delta.entries), bytes: max(0, delta.bytes))
        var committed = false
        defer {
            condition.lock()
            inFlightRows.subtract(rows)
            reserved.entries -= growth.entries
            reserved.bytes -= growth.bytes
            if !committed {
                // A commit that failed may still have reached the database (a connection lost
                // mid-commit, a statement that timed out): the next check measures again.
                usage = nil
            } else if var current = usage {
                current.entries += delta.entries
                current.bytes += delta.bytes
                usage = current
            }
            remember(sizesAfter, committed: committed)
            condition.broadcast()
            condition.unlock()
        }
        try commit()
        committed = true
    }

    /// Waits until no unfinished batch touches `rows`, checks the batch's change against the
    /// limits (counting other batches' reserved growth), and reserves it. Returns the change and
    /// each row's size after the batch.
    private func admit(_ writes: [StorageWrite], rows: Set<HashedBytes>, size: ([UInt8]) throws -> Int?,
                       measure: () throws -> StorageUsage) throws -> (StorageUsage, [HashedBytes: Int?]) {
        condition.lock()
        defer { condition.unlock() }
        while !inFlightRows.isDisjoint(with: rows) || measuringMustWait { condition.wait() }
        let current = try currentUsage(measure)
        // Sizes as they will be after the batch, row by row (a batch may touch a row twice).
        var after: [HashedBytes: Int?] = [:]
        var delta = StorageUsage(entries: 0, bytes: 0)
        for write in writes {
            let name = HashedBytes(write.rowName)
            let oldSize: Int? = try after[name] ?? storedSize(name, size)
            let newSize: Int?
            switch write {
            case .put(_, let sealedName, let value):
                newSize = sealedName.count + value.count
            case .insert(_, let sealedName, let value):
                // An existing row stays as it is.
                newSize = oldSize ?? sealedName.count + value.count
            case .delete:
                newSize = nil
            }
            delta.entries += (newSize == nil ? 0 : 1) - (oldSize == nil ? 0 : 1)
            delta.bytes += (newSize ?? 0) - (oldSize ?? 0)
            after[name] = .some(newSize)
        }
        let bytes = current.bytes + reserved.bytes + delta.bytes
        let entries = current.entries + reserved.entries + delta.entries
        // Writes that shrink the usage are always allowed, so an app over a lowered quota can
        // still delete and truncate its way back under it.
        if delta.bytes > 0, bytes > maxBytes {
            throw refuse("\(bytes) bytes stored would exceed the app's storage quota of \(maxBytes) bytes (--max-app-storage-mib)")
        }
        if delta.entries > 0, entries > maxEntries {
            throw refuse("\(entries) entries would exceed the app's quota of \(maxEntries) entries (--max-app-entries)")
        }
        inFlightRows.formUnion(rows)
        reserved.entries += max(0, delta.entries)
        reserved.bytes += max(0, delta.bytes)
        return (delta, after)
    }

    /// The usage counted, measured first when it is unknown (before the first write, and after
    /// a commit that failed). Called holding `condition`, after `measuringMustWait` turned false.
    private func currentUsage(_ measure: () throws -> StorageUsage) throws -> StorageUsage {
        if let usage { return usage }
        let measured = try measure()
        usage = measured
        return measured
    }

    /// Whether the usage must be measured while batches are in flight: wait for them first, as
    /// one that commits during the measurement would be counted twice (measured, then added when
    /// it ends). Nothing is in flight before the first measurement. Called holding `condition`.
    private var measuringMustWait: Bool { usage == nil && !inFlightRows.isEmpty }

    /// Row `name`'s stored size: remembered, else asked. Called holding `condition`.
    private func storedSize(_ name: HashedBytes, _ size: ([UInt8]) throws -> Int?) throws -> Int? {
        if let known = knownSizes[name] { return known == Self.absentRow ? nil : known }
        return try size(name.bytes)
    }

    /// Remembers the sizes a committed batch left; forgets them when the commit failed (it may or
    /// may not have reached the database). Called holding `condition`.
    private func remember(_ sizes: [HashedBytes: Int?], committed: Bool) {
        guard committed else {
            for name in sizes.keys { knownSizes.removeValue(forKey: name) }
            return
        }
        if knownSizes.count + sizes.count > Self.maxKnownRows { knownSizes.removeAll(keepingCapacity: true) }
        for (name, size) in sizes { knownSizes[name] = size ?? Self.absentRow }
    }

    /// Refuses (and reports) `growth` more bytes or `newEntries` more entries when they would
    /// not fit the quota as counted now: an early answer for a writer that buffers (a file
    /// growing, or created, before it is written back); the commit checks exactly.
    func checkGrowth(_ growth: Int, newEntries: Int = 0, measure: () throws -> StorageUsage) throws {
        let checksBytes = maxBytes != .max && growth > 0, checksEntries = maxEntries != .max && newEntries > 0
        guard checksBytes || checksEntries else { return }
        condition.lock()
        defer { condition.unlock() }
        while measuringMustWait { condition.wait() }
        let current = try currentUsage(measure)
        let counted = current.bytes + reserved.bytes
        if checksBytes, counted + growth > maxBytes {
            throw refuse("\(counted + growth) bytes stored would exceed the app's storage quota of \(maxBytes) bytes "
                + "(--max-app-storage-mib)")
        }
        let entries = current.entries + reserved.entries + newEntries
        if checksEntries, entries > maxEntries {
            throw refuse("\(entries) entries would exceed the app's quota of \(maxEntries) entries (--max-app-entries)")
        }
    }

    /// The usage counted so far (nil until the first write).
    var counted: StorageUsage? {
        condition.lock()
        defer { condition.unlock() }
        return usage
    }

    /// Builds the error and reports it (first at once, then at most once per interval).
    /// Called holding `condition`.
    private func refuse(_ detail: String) -> SealedStoreError {
        unreported += 1
        let now = Date()
        if let report, lastReport.map({ now.timeIntervalSince($0) >= Self.reportInterval }) ?? true {
            report(QuotaRefusal(appName: appName, detail: detail, count: unreported))
            unreported = 0
            lastReport = now
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
