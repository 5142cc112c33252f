import WasmKit

/// The guest-visible state of every core instance of one component instance, taken right after
/// instantiation (data and element segments applied, start functions run), and the means to put
/// it back so that the next call observes exactly what a fresh instance would.
///
/// A restore is only done when it can be exact: WebAssembly memories and tables cannot shrink,
/// so if a call grew one, `memory.size` / `table.size` would differ from a fresh instance and
/// `restore` refuses; the caller then discards the instance.
struct InstanceSnapshot {
    /// How one linear memory gets its post-instantiation bytes back.
    private enum MemoryImage {
        /// A copy of every byte, compared and copied back where it differs (small memories:
        /// comparing ~100 KiB costs about a microsecond, less than the page faults a mapping
        /// would take).
        case copied(Memory, CopiedMemoryImage)
        /// A copy-on-write mapping of the image: a reset drops the pages the call wrote.
        case mapped(Memory, CopyOnWriteImage)

        var byteCount: Int {
            switch self {
            case .copied(_, let image): return image.byteCount
            case .mapped(_, let image): return image.byteCount
            }
        }

        var memory: Memory {
            switch self {
            case .copied(let memory, _), .mapped(let memory, _): return memory
            }
        }
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

    /// All linear memories together, in bytes.
    var totalMemoryBytes: Int { memories.reduce(0) { $0 + $1.byteCount } }

    /// Memories at least this large are mapped copy-on-write (`CopyOnWriteImage`) when the
    /// platform allows; smaller ones are copied back.
    static let copyOnWriteMinimumBytes = 1 << 20

    /// Memories restored by copying may total at most this: a restore compares every byte
    /// (and copies what differs) and the image doubles their footprint, while a fresh
    /// instance gets its zeroed pages lazily from the kernel. Beyond it, without copy-on-write mapping, instances are not reused.
    static let maxCopiedBytes = 4 << 20

    /// What `capture` found.
    enum Capture {
        case snapshot(InstanceSnapshot)
        /// Some state cannot be restored exactly; the instance serves its call and is dropped.
        case notReusable
        /// Mapping a memory failed in a way that left it unusable: the instance must not run.
        case damaged
    }

    /// Captures `instance`'s state. Not reusable when some module was not rewritten with state
    /// exports, or a table grew during instantiation (its size is then unknown: WasmKit has no
    /// public table size), or large memories cannot be mapped copy-on-write.
    static func capture(_ instance: ComponentInstance, copyOnWriteMinimumBytes: Int = copyOnWriteMinimumBytes) -> Capture {
        var memories: [MemoryImage] = []
        var tables: [TableImage] = []
        var globals: [GlobalImage] = []
        var tablesCreated = 0
        var copiedBytes = 0
        for (module, core) in instance.moduleInstances {
            guard let state = instance.plan.moduleState[module] else { return .notReusable }
            for name in state.memories {
                guard case .memory(let memory) = core.export(name) else { return .notReusable }
                if memory.byteCount >= copyOnWriteMinimumBytes {
                    switch CopyOnWriteImage.map(memory) {
                    case .mapped(let image): memories.append(.mapped(memory, image)); continue
                    case .damaged: return .damaged
                    case .unavailable: break
                    }
                }
                copiedBytes += memory.byteCount
                guard copiedBytes <= maxCopiedBytes else { return .notReusable }
                memories.append(.copied(memory, CopiedMemoryImage(memory)))
            }
            for name in state.tables {
                guard case .table(let table) = core.export(name), let size = Int(exactly: table.type.limits.min) else { return .notReusable }
                tables.append(TableImage(table: table, entries: (0..<size).map { table[$0] }))
                tablesCreated += 1
            }
            for name in state.globals {
                guard case .global(let global) = core.export(name) else { return .notReusable }
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
        guard instance.limiter.tableGrowthChecks == tablesCreated else { return .notReusable }
        return .snapshot(InstanceSnapshot(
            memories: memories, tables: tables, globals: globals,
            largestMemoryBytes: memories.map(\.byteCount).max() ?? 0))
    }

    /// Puts the captured state back. Returns false, having changed nothing observable that
    /// matters (the instance must then be discarded), when a memory or table grew since the
    /// snapshot; `limiter` must have been reset before the call.
    func restore(limiter: MemoryCapLimiter) -> Bool {
        guard limiter.tableGrowthChecks == 0 else { return false }
        for image in memories where image.memory.byteCount != image.byteCount { return false }
        for image in memories {
            switch image {
            case .copied(let memory, let image):
                image.restore(memory)
            case .mapped(let memory, let mapped):
                guard mapped.restore(memory) else { return false }
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
