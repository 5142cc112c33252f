/// The rows of an `OpenedValueCache` that writes are changing now, and whether what one write
/// of a row knows once it commits may be recorded in the cache (`OpenedValueCache.endWrite`).
///
/// A write may record a row only when nothing could have changed the row, unseen, between its
/// `begin` and its `end`: a row is *spoiled* (recorded by none of the writes in flight on it)
/// when a second write of it begins while one is in flight (their commit order is not known
/// from the order they end in), when a write of its whole namespace overlaps it, when the
/// namespace's entries stop being trustworthy (its lease ended or was granted afresh, the app
/// was removed, the cache was turned off) while it is in flight, or when the namespace could
/// not be served when it began. Bounded by the writes in flight: a row is forgotten when its
/// last write ends.
struct RowWriteTracker {
    private struct InFlight {
        var writes: Int
        var spoiled: Bool
    }

    private var rows: [OpenedValueCache.RowKey: InFlight] = [:]
    /// Writes of a whole namespace (an app's removal) in flight, per namespace.
    private var namespaceWrites: [HashedBytes: Int] = [:]

    /// A write of `names` of `namespace` (nil: every row) begins; `servable`: the namespace's
    /// entries may be used now (cache on, lease live), so what it commits may be recorded.
    mutating func begin(namespace: [UInt8], names: [[UInt8]]?, servable: Bool) {
        guard let names else {
            namespaceWrites[HashedBytes(namespace), default: 0] += 1
            spoil(namespace: namespace)
            return
        }
        let wholeNamespaceInFlight = namespaceWrites[HashedBytes(namespace)] != nil
        for name in names {
            let key = OpenedValueCache.RowKey(namespace: namespace, name: name)
            if var row = rows[key] {
                row.writes += 1
                row.spoiled = true
                rows[key] = row
            } else {
                rows[key] = InFlight(writes: 1, spoiled: !servable || wholeNamespaceInFlight)
            }
        }
    }

    /// The write begun with the same `namespace` and `names` ends: whether each of `names` (in
    /// order) may be recorded (always false for a whole-namespace write: nil).
    mutating func end(namespace: [UInt8], names: [[UInt8]]?) -> [Bool]? {
        guard let names else {
            let key = HashedBytes(namespace)
            if let count = namespaceWrites[key], count > 1 { namespaceWrites[key] = count - 1 } else { namespaceWrites[key] = nil }
            return nil
        }
        return names.map { name in
            let key = OpenedValueCache.RowKey(namespace: namespace, name: name)
            guard var row = rows[key] else { return false }
            row.writes -= 1
            rows[key] = row.writes > 0 ? row : nil
            return !row.spoiled
        }
    }

    /// No write of `namespace` now in flight may record its rows.
    mutating func spoil(namespace: [UInt8]) {
        // In place through the values' indices: setting a value moves no entry.
        for index in rows.indices where rows.keys[index].namespace == namespace {
            rows.values[index].spoiled = true
        }
    }

    /// No write now in flight may record its rows.
    mutating func spoilAll() {
        for index in rows.indices { rows.values[index].spoiled = true }
    }
}
