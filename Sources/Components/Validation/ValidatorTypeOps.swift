// Operations on the validator's types: substitution of identities (instantiation), structural
// queries (does a type mention a resource or a borrow), and the Canonical ABI facts validation
// needs (flattened core signatures, the static byte size of a value).

/// A substitution of resource and type identities, built by instantiation.
struct Remapping {
    var resources: [ResourceID: ResourceID] = [:]
    var types: [TypeID: TypeID] = [:]

    var isEmpty: Bool { resources.isEmpty && types.isEmpty }

    func resource(_ id: ResourceID) -> ResourceID { resources[id] ?? id }
    func type(_ id: TypeID) -> TypeID { types[id] ?? id }
}

extension VType {
    func remapped(_ map: Remapping) -> VType {
        if map.isEmpty { return self }
        switch self {
        case .primitive, .enumeration, .flags:
            if let id = nominalID, let renamed = map.types[id] { return self.renamed(renamed) }
            return self
        case .record(let id, let fields): return .record(map.type(id), fields.map { ($0.0, $0.1.remapped(map)) })
        case .variant(let id, let cases): return .variant(map.type(id), cases.map { ($0.0, $0.1?.remapped(map)) })
        case .list(let element): return .list(element.remapped(map))
        case .fixedList(let element, let count): return .fixedList(element.remapped(map), count)
        case .map(let key, let value): return .map(key.remapped(map), value.remapped(map))
        case .tuple(let elements): return .tuple(elements.map { $0.remapped(map) })
        case .option(let inner): return .option(inner.remapped(map))
        case .result(let ok, let err): return .result(ok?.remapped(map), err?.remapped(map))
        case .own(let id, let resource): return .own(map.type(id), map.resource(resource))
        case .borrow(let id, let resource): return .borrow(map.type(id), map.resource(resource))
        case .stream(let payload): return .stream(payload?.remapped(map))
        case .future(let payload): return .future(payload?.remapped(map))
        }
    }

    /// Whether the type mentions a resource (through a handle) anywhere.
    var containsResource: Bool {
        switch self {
        case .own, .borrow: return true
        case .primitive, .enumeration, .flags: return false
        default: return children.contains { $0.containsResource }
        }
    }

    /// Whether the type mentions `borrow` anywhere (not allowed in function results).
    var containsBorrow: Bool {
        switch self {
        case .borrow: return true
        case .own, .primitive, .enumeration, .flags: return false
        default: return children.contains { $0.containsBorrow }
        }
    }

    /// Direct component types.
    var children: [VType] {
        switch self {
        case .primitive, .enumeration, .flags, .own, .borrow: return []
        case .record(_, let fields): return fields.map(\.1)
        case .variant(_, let cases): return cases.compactMap(\.1)
        case .list(let element), .fixedList(let element, _), .option(let element): return [element]
        case .map(let key, let value): return [key, value]
        case .tuple(let elements): return elements
        case .result(let ok, let err): return [ok, err].compactMap { $0 }
        case .stream(let payload), .future(let payload): return payload.map { [$0] } ?? []
        }
    }

    /// Nesting depth, or nil once it passes `limit`. Types are built from types already
    /// checked, so the recursion never goes deeper than `limit` + 1.
    func depth(limit: Int) -> Int? {
        var deepest = 0
        for child in children {
            guard let inner = child.depth(limit: limit) else { return nil }
            deepest = max(deepest, inner)
        }
        return deepest + 1 <= limit ? deepest + 1 : nil
    }

    /// Structural node count with repetition (a fixed list counts its element once); bounds
    /// the work of comparing and substituting a type.
    var nodeCount: Int {
        children.reduce(1) { $0 &+ $1.nodeCount }
    }
}

extension VFuncType {
    func remapped(_ map: Remapping) -> VFuncType {
        if map.isEmpty { return self }
        return VFuncType(params: params.map { ($0.0, $0.1.remapped(map)) }, result: result?.remapped(map), isAsync: isAsync)
    }

    var containsResource: Bool { params.contains { $0.1.containsResource } || (result?.containsResource ?? false) }
}

extension TypeEntry {
    func remapped(_ map: Remapping) -> TypeEntry {
        if map.isEmpty { return self }
        switch self {
        case .value(let type): return .value(type.remapped(map))
        case .resource(let id, let resource): return .resource(map.type(id), map.resource(resource))
        case .function(let function): return .function(function.remapped(map))
        case .instance(let instance): return .instance(instance.remapped(map))
        case .component(let component): return .component(component.remapped(map))
        }
    }

    /// Whether this type mentions a resource anywhere (such types may not be outer-aliased
    /// into a nested component: resource types are generative).
    var containsResource: Bool {
        switch self {
        case .value(let type): return type.containsResource
        case .resource: return true
        case .function(let function): return function.containsResource
        case .instance(let instance): return instance.exports.contains { $0.1.containsResource }
        case .component(let component):
            return component.imports.contains { $0.1.containsResource } || component.exports.contains { $0.1.containsResource }
        }
    }
}

extension Entity {
    /// Type nodes the entity spans (what substituting or comparing it costs), for the
    /// validator's work budget.
    var cost: Int {
        switch self {
        case .module(let module): return 1 + module.imports.count + module.exports.count
        case .function(let function): return function.params.reduce(1) { $0 &+ $1.1.nodeCount } &+ (function.result?.nodeCount ?? 0)
        case .type(let entry):
            switch entry {
            case .value(let type): return type.nodeCount
            case .resource: return 1
            case .function(let function): return Entity.function(function).cost
            case .instance(let instance): return Entity.instance(instance).cost
            case .component(let component): return Entity.component(component).cost
            }
        case .instance(let instance): return instance.exports.reduce(1) { $0 &+ $1.1.cost }
        case .component(let component):
            return (component.imports + component.exports).reduce(1) { $0 &+ $1.1.cost }
        }
    }

    func remapped(_ map: Remapping) -> Entity {
        if map.isEmpty { return self }
        switch self {
        case .module: return self
        case .function(let function): return .function(function.remapped(map))
        case .type(let entry): return .type(entry.remapped(map))
        case .instance(let instance): return .instance(instance.remapped(map))
        case .component(let component): return .component(component.remapped(map))
        }
    }

    var containsResource: Bool {
        switch self {
        case .module: return false
        case .function(let function): return function.containsResource
        case .type(let entry): return entry.containsResource
        case .instance(let instance): return instance.exports.contains { $0.1.containsResource }
        case .component(let component): return TypeEntry.component(component).containsResource
        }
    }
}

extension VInstanceType {
    /// How deeply instances nest in this one's exports, or nil past `limit` (instances built
    /// from instances already checked: the recursion stays within `limit` + 1).
    func depth(limit: Int) -> Int? {
        var deepest = 0
        for (_, entity) in exports {
            guard case .instance(let inner) = entity else { continue }
            guard let innerDepth = inner.depth(limit: limit) else { return nil }
            deepest = max(deepest, innerDepth)
        }
        return deepest + 1 <= limit ? deepest + 1 : nil
    }

    func remapped(_ map: Remapping) -> VInstanceType {
        if map.isEmpty { return self }
        return VInstanceType(exports: exports.map { ($0.0, $0.1.remapped(map)) }, definedResources: definedResources.map(map.resource))
    }
}

extension VComponentType {
    func remapped(_ map: Remapping) -> VComponentType {
        if map.isEmpty { return self }
        var copy = self
        copy.imports = imports.map { ($0.0, $0.1.remapped(map)) }
        copy.exports = exports.map { ($0.0, $0.1.remapped(map)) }
        return copy
    }
}

// MARK: Canonical ABI facts

extension VType {
    /// The core types one value flattens to, or nil when there are more than `limit`.
    func flatten(limit: Int) -> [CoreValType]? {
        var out: [CoreValType] = []
        return appendFlat(to: &out, limit: limit) ? out : nil
    }

    private func appendFlat(to out: inout [CoreValType], limit: Int) -> Bool {
        switch self {
        case .primitive(let primitive):
            switch primitive {
            case .s64, .u64: out.append(.i64)
            case .f32: out.append(.f32)
            case .f64: out.append(.f64)
            case .string: out += [.i32, .i32]
            default: out.append(.i32)
            }
        case .enumeration, .own, .borrow, .stream, .future: out.append(.i32)
        case .flags(_, let names): if !names.isEmpty { out.append(.i32) }
        case .list, .map: out += [.i32, .i32]
        case .fixedList(let element, let count):
            for _ in 0..<count {
                guard element.appendFlat(to: &out, limit: limit) else { return false }
            }
        case .record(_, let fields):
            for field in fields { guard field.1.appendFlat(to: &out, limit: limit) else { return false } }
        case .tuple(let elements):
            for element in elements { guard element.appendFlat(to: &out, limit: limit) else { return false } }
        case .variant, .option, .result:
            var joined: [CoreValType] = []
            for payload in variantPayloads.compactMap({ $0 }) {
                guard let flat = payload.flatten(limit: limit) else { return false }
                for (index, type) in flat.enumerated() {
                    if index < joined.count { joined[index] = Self.join(joined[index], type) } else { joined.append(type) }
                }
            }
            out.append(.i32)
            out += joined
        }
        return out.count <= limit
    }

    var variantPayloads: [VType?] {
        switch self {
        case .variant(_, let cases): return cases.map(\.1)
        case .option(let inner): return [nil, inner]
        case .result(let ok, let err): return [ok, err]
        default: return []
        }
    }

    private static func join(_ a: CoreValType, _ b: CoreValType) -> CoreValType {
        if a == b { return a }
        if (a == .i32 && b == .f32) || (a == .f32 && b == .i32) { return .i32 }
        return .i64
    }

    /// Whether lifting or lowering this type touches linear memory (strings, lists, maps).
    var needsMemory: Bool {
        switch self {
        case .primitive(.string), .list, .map: return true
        case .primitive, .enumeration, .flags, .own, .borrow, .stream, .future: return false
        default: return children.contains { $0.needsMemory }
        }
    }

    /// Size and alignment in bytes with 64-bit pointers (CanonicalABI.md "element size"),
    /// saturated far above the 2^28 validation limit.
    var layout64: (size: Int, alignment: Int) {
        switch self {
        case .primitive(let primitive):
            switch primitive {
            case .bool, .s8, .u8: return (1, 1)
            case .s16, .u16: return (2, 2)
            case .s64, .u64, .f64: return (8, 8)
            case .string: return (16, 8)
            default: return (4, 4)
            }
        case .own, .borrow, .stream, .future: return (4, 4)
        case .list, .map: return (16, 8)
        case .enumeration(_, let names): let size = Self.discriminantSize(names.count); return (size, size)
        case .flags(_, let names):
            let size = names.isEmpty ? 0 : (names.count <= 8 ? 1 : (names.count <= 16 ? 2 : 4))
            return (size, max(size, 1))
        case .fixedList(let element, let count):
            let inner = element.layout64
            return (Self.saturatingMultiply(inner.size, Int(count)), inner.alignment)
        case .record(_, let fields): return Self.structLayout(fields.map(\.1))
        case .tuple(let elements): return Self.structLayout(elements)
        case .variant, .option, .result:
            let payloads = variantPayloads
            let discriminant = Self.discriminantSize(payloads.count)
            var alignment = discriminant
            var largest = 0
            for payload in payloads.compactMap({ $0 }) {
                let inner = payload.layout64
                alignment = max(alignment, inner.alignment)
                largest = max(largest, inner.size)
            }
            let size = Self.alignUp(Self.saturatingAdd(Self.alignUp(discriminant, alignment), largest), alignment)
            return (size, alignment)
        }
    }

    private static let saturation = 1 << 40

    private static func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? saturation : min(product, saturation)
    }

    private static func saturatingAdd(_ a: Int, _ b: Int) -> Int { min(a + b, saturation) }

    private static func alignUp(_ value: Int, _ alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    private static func discriminantSize(_ cases: Int) -> Int {
        cases <= 1 << 8 ? 1 : (cases <= 1 << 16 ? 2 : 4)
    }

    private static func structLayout(_ fields: [VType]) -> (size: Int, alignment: Int) {
        var offset = 0
        var alignment = 1
        for field in fields {
            let inner = field.layout64
            alignment = max(alignment, inner.alignment)
            offset = saturatingAdd(alignUp(offset, inner.alignment), inner.size)
        }
        return (alignUp(offset, alignment), alignment)
    }
}
