/// A JSON document.
///
/// We keep our own model instead of Foundation's because the wire format must be reproduced
/// byte for byte (object keys in the order we write them, compact separators) and because
/// uploads arrive as megabyte-sized integer arrays that Foundation parses slowly.
public enum JSON: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// A JSON integer.
    public static func int(_ value: Int64) -> JSON { .number(JSONNumber(value)) }
    /// A JSON integer from an unsigned value.
    public static func uint(_ value: UInt64) -> JSON { .number(JSONNumber(value)) }
    /// A JSON floating-point number (`null` for NaN and infinities, as serde_json writes them).
    public static func double(_ value: Double) -> JSON {
        value.isFinite ? .number(JSONNumber(value)) : .null
    }

    /// A 32-bit float, written with the shortest digits for a Float (`null` if not finite).
    public static func float(_ value: Float) -> JSON {
        value.isFinite ? .number(JSONNumber(float32: value)) : .null
    }

    /// Creates a JSON string.
    public init(_ string: String) { self = .string(string) }

    /// Looks up `key` when this is an object.
    public subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The object, when this is an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The boolean, when this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The number, when this is a number.
    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// True for `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The bytes of an array whose elements are all integers in 0...255, else nil.
    public func byteArray() -> [UInt8]? {
        guard case .array(let elements) = self else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(elements.count)
        for element in elements {
            guard case .number(let n) = element, let v = n.uint64, v <= 255 else { return nil }
            bytes.append(UInt8(v))
        }
        return bytes
    }

    /// An array of integers 0...255, the compat encoding of bytes.
    public static func bytes<C: Collection>(_ bytes: C) -> JSON where C.Element == UInt8 {
        .array(bytes.map { .number(JSONNumber(UInt64($0))) })
    }
}

/// A JSON object that keeps its keys in insertion order.
public struct JSONObject: Hashable, Sendable {
    /// The members, in document order.
    public var pairs: [Pair]

    /// One member of an object.
    public struct Pair: Hashable, Sendable {
        public var key: String
        public var value: JSON
        public init(key: String, value: JSON) {
            self.key = key
            self.value = value
        }
    }

    /// Creates an object from ordered members.
    public init(_ pairs: KeyValuePairs<String, JSON>) {
        self.pairs = pairs.map { Pair(key: $0.key, value: $0.value) }
    }

    /// Creates an object from ordered members.
    public init(pairs: [Pair]) {
        self.pairs = pairs
    }

    /// The value of the first member named `key`.
    public subscript(key: String) -> JSON? {
        pairs.first(where: { $0.key == key })?.value
    }

    /// The member names, in order.
    public var keys: [String] { pairs.map(\.key) }

    /// Appends a member (does not replace an existing one).
    public mutating func append(_ key: String, _ value: JSON) {
        pairs.append(Pair(key: key, value: value))
    }
}

extension JSON {
    /// An object with members in the given order.
    public static func object(_ pairs: KeyValuePairs<String, JSON>) -> JSON {
        .object(JSONObject(pairs))
    }
}
