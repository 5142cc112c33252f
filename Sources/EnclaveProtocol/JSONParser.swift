/// Limits on what the JSON parser accepts; every document from the network is hostile.
public struct JSONLimits: Sendable, Hashable {
    /// Maximum nesting of arrays and objects.
    public var maxDepth: Int
    public init(maxDepth: Int = 128) { self.maxDepth = maxDepth }
    public static let `default` = JSONLimits()
}

/// Why a document is not acceptable JSON; the description names the byte offset.
public enum JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    case unexpectedEnd
    case unexpectedByte(UInt8, offset: Int)
    case invalidNumber(offset: Int)
    case invalidString(String, offset: Int)
    case tooDeep(limit: Int)
    case trailingData(offset: Int)

    public var description: String {
        switch self {
        case .unexpectedEnd: return "unexpected end of JSON"
        case .unexpectedByte(let b, let offset): return "unexpected byte 0x\(String(b, radix: 16)) at offset \(offset)"
        case .invalidNumber(let offset): return "invalid number at offset \(offset)"
        case .invalidString(let why, let offset): return "invalid string at offset \(offset): \(why)"
        case .tooDeep(let limit): return "JSON nested deeper than \(limit) levels"
        case .trailingData(let offset): return "unexpected data after the JSON value at offset \(offset)"
        }
    }
}

extension JSON {
    /// Parses one JSON document (RFC 8259; surrounding whitespace allowed, nothing else).
    public static func parse<C: Collection>(_ bytes: C, limits: JSONLimits = .default) throws(JSONError) -> JSON
    where C.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ buffer in
            Result { () throws(JSONError) -> JSON in
                var parser = JSONParser(buffer, limits: limits)
                return try parser.parseDocument()
            }
        }) {
            return try result.get()
        }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(JSONError) -> JSON in
            var parser = JSONParser(buffer, limits: limits)
            return try parser.parseDocument()
        }
    }
}

/// A recursive-descent parser over a byte buffer.
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    private let limits: JSONLimits
    var offset = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func parseDocument() throws(JSONError) -> JSON {
        let value = try parseValue()
        skipWhitespace()
        guard offset == bytes.count else { throw .trailingData(offset: offset) }
        return value
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    private func peek() throws(JSONError) -> UInt8 {
        guard offset < bytes.count else { throw .unexpectedEnd }
        return bytes[offset]
    }

    private mutating func expect(_ literal: StaticString, value: JSON) throws(JSONError) -> JSON {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw .unexpectedEnd }
        let start = literal.utf8Start
        for i in 0..<count where bytes[offset + i] != start[i] {
            throw .unexpectedByte(bytes[offset + i], offset: offset + i)
        }
        offset += count
        return value
    }

    private mutating func parseValue() throws(JSONError) -> JSON {
        skipWhitespace()
        let byte = try peek()
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw .unexpectedByte(byte, offset: offset)
        }
    }

    private mutating func enter() throws(JSONError) {
        depth += 1
        if depth > limits.maxDepth { throw .tooDeep(limit: limits.maxDepth) }
    }

    private mutating func parseArray() throws(JSONError) -> JSON {
        try enter()
        offset += 1  // [
        var elements: [JSON] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            let byte = try peek()
            offset += 1
            if byte == UInt8(ascii: "]") { break }
            guard byte == UInt8(ascii: ",") else { throw .unexpectedByte(byte, offset: offset - 1) }
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseObject() throws(JSONError) -> JSON {
        try enter()
        offset += 1  // {
        var pairs: [JSONObject.Pair] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return .object(JSONObject(pairs: pairs))
        }
        while true {
            skipWhitespace()
            let quote = try peek()
            guard quote == UInt8(ascii: "\"") else { throw .unexpectedByte(quote, offset: offset) }
            let key = try parseString()
            skipWhitespace()
            let colon = try peek()
            guard colon == UInt8(ascii: ":") else { throw .unexpectedByte(colon, offset: offset) }
            offset += 1
            pairs.append(JSONObject.Pair(key: key, value: try parseValue()))
            skipWhitespace()
            let byte = try peek()
            offset += 1
            if byte == UInt8(ascii: "}") { break }
            guard byte == UInt8(ascii: ",") else { throw .unexpectedByte(byte, offset: offset - 1) }
        }
        depth -= 1
        return .object(JSONObject(pairs: pairs))
    }

    private mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = offset
        var negative = false
        if bytes[offset] == UInt8(ascii: "-") {
            negative = true
            offset += 1
        }
        // Integer part: "0" or [1-9][0-9]*, accumulated exactly while it fits.
        var magnitude: UInt64 = 0
        var overflow = false
        let digitsStart = offset
        while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 {
            let digit = UInt64(bytes[offset] - 0x30)
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(digit)
            overflow = overflow || o1 || o2
            magnitude = m2
            offset += 1
        }
        let digitCount = offset - digitsStart
        guard digitCount > 0 else { throw .invalidNumber(offset: start) }
        if digitCount > 1, bytes[digitsStart] == 0x30 { throw .invalidNumber(offset: start) }
        var isFloat = false
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isFloat = true
            offset += 1
            guard try skipDigits() > 0 else { throw .invalidNumber(offset: start) }
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            isFloat = true
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            guard try skipDigits() > 0 else { throw .invalidNumber(offset: start) }
        }
        if !isFloat && !overflow {
            if !negative { return JSONNumber(magnitude) }
            if magnitude == 0 { return JSONNumber(0.0 * -1) }  // "-0" is a float zero
            if magnitude <= UInt64(Int64.max) + 1 {
                return JSONNumber(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw .invalidNumber(offset: start) }
        return JSONNumber(value)
    }

    private mutating func skipDigits() throws(JSONError) -> Int {
        let start = offset
        while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 { offset += 1 }
        return offset - start
    }
}
