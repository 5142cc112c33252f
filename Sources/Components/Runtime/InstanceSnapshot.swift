import WasmKit

/// The guest-visible state of every core instance of one component instance, taken right after
/// instantiation (data and element segments applied, start functions run), and the means to put
/// it back so that the next call observes exactly what a fresh instance would.
///
/// A restore is only done when it can be exact: WebAssembly memories and tables cannot shrink,
/// so if a call grew one, `memory.size` / `table.size` would differ from a fresh instance and
/// `restore` refuses; the caller then discards the instance.
struct InstanceSnapshot {
    private struct MemoryImage {
        let memory: Memory
        let bytes: [UInt8]
    }

    private struct TableImage {
        let table: Table
        let entries: [Reference]
    }

    private struct GlobalImage {
        let global: Global
        let value: Value
    }

    private let memories: [MemoryImage]
    private let tables: [TableImage]
    /// Mutable globals only: immutable ones cannot change.
    private let globals: [GlobalImage]

    /// The largest linear memory, in bytes (a fresh instance needs the memory cap to allow it).
    let largestMemoryBytes: Int

    /// Instances whose memories total more than this are not reused: a restore copies every
    /// byte (~25 µs per MiB here) and the snapshot doubles their footprint, while a fresh
    /// instance gets its zeroed pages lazily from the kernel.
    static let maxMemoryBytes = 4 << 20

    /// Captures `instance`'s state, or returns nil when some module was not rewritten with
    /// state exports, or a table grew during instantiation (its size is then unknown: WasmKit
    /// has no public table size).
    static func capture(_ instance: ComponentInstance) -> InstanceSnapshot? {
        var memories: [MemoryImage] = []
        var tables: [TableImage] = []
        var globals: [GlobalImage] = []
        var tablesCreated = 0
        var totalMemoryBytes = 0
        for (module, core) in instance.moduleInstances {
            guard let state = instance.plan.moduleState[module] else { return nil }
            for name in state.memories {
                guard case .memory(let memory) = core.export(name) else { return nil }
                totalMemoryBytes += memory.byteCount
                guard totalMemoryBytes <= maxMemoryBytes else { return nil }
                let bytes = memory.withUnsafeBufferPointer(offset: 0, count: memory.byteCount) { [UInt8]($0) }
                memories.append(MemoryImage(memory: memory, bytes: bytes))
            }
            for name in state.tables {
                guard case .table(let table) = core.export(name), let size = Int(exactly: table.type.limits.min) else { return nil }
                tables.append(TableImage(table: table, entries: (0..<size).map { table[$0] }))
                tablesCreated += 1
            }
            for name in state.globals {
                guard case .global(let global) = core.export(name) else { return nil }
                // WasmKit exposes no global type; assigning a global its own value succeeds
                // exactly when it is mutable, and changes nothing.
                let value = global.value
                if (try? global.assign(value)) != nil {
                    globals.append(GlobalImage(global: global, value: value))
                }
            }
        }
        // Each defined table asks the limiter once when it is created; any further ask was a
        // `table.grow` by a start function, after which `limits.min` is no longer the size.
        guard instance.limiter.tableGrowthChecks == tablesCreated else { return nil }
        return InstanceSnapshot(
            memories: memories, tables: tables, globals: globals,
            largestMemoryBytes: memories.map(\.bytes.count).max() ?? 0)
    }

    /// Puts the captured state back. Returns false, having changed nothing observable that
    /// matters (the instance must then be discarded), when a memory or table grew since the
    /// snapshot; `limiter` must have been reset before the call.
    func restore(limiter: MemoryCapLimiter) -> Bool {
        guard limiter.tableGrowthChecks == 0 else { return false }
        for image in memories where image.memory.byteCount != image.bytes.count { return false }
        for image in memories {
            image.memory.withUnsafeMutableBufferPointer(offset: 0, count: image.bytes.count) { target in
                image.bytes.withUnsafeBytes { target.copyMemory(from: $0) }
            }
        }
        for image in tables {
            for (index, entry) in image.entries.enumerated() { image.table[index] = entry }
        }
        for image in globals {
            guard (try? image.global.assign(image.value)) != nil else { return false }
        }
        return true
    }
}
