/// An outer request frame (compat): `"Ping"`, `{"Data":[…]}`, or `"Shutdown"`.
public enum Request: Hashable, Sendable {
    case ping
    /// An inner payload (a management message, or the `hello` smoke test).
    case data([UInt8])
    /// A shutdown request; the compat form `"Shutdown"` carries no token, ours is
    /// `{"Shutdown":{"token":"…"}}`.
    case shutdown(token: String?)
    /// Anything else: answered with `invalid JSON request`.
    case invalid

    /// Decodes a frame payload. Never throws: unparseable input is `.invalid`.
    public static func decode(_ payload: [UInt8]) -> Request {
        if let bytes = DataArrayScanner.scan(payload) { return .data(bytes) }
        guard let json = try? JSON.parse(payload) else { return .invalid }
        switch json {
        case .string("Ping"): return .ping
        case .string("Shutdown"): return .shutdown(token: nil)
        case .object(let object) where object.pairs.count == 1:
            let pair = object.pairs[0]
            switch pair.key {
            case "Data":
                if let bytes = pair.value.byteArray() { return .data(bytes) }
                if let text = pair.value.stringValue, let bytes = Base64.decode(text) { return .data(bytes) }
                return .invalid
            case "Shutdown":
                guard let token = pair.value["token"]?.stringValue else { return .invalid }
                return .shutdown(token: token)
            default: return .invalid
            }
        default: return .invalid
        }
    }

    /// The payload for this request (what a client sends).
    public func encoded() -> [UInt8] {
        switch self {
        case .ping: return Array(#""Ping""#.utf8)
        case .data(let bytes): return Response.encodeByteEnvelope(key: "Data", bytes)
        case .shutdown(nil): return Array(#""Shutdown""#.utf8)
        case .shutdown(let token?): return JSON.object(["Shutdown": .object(["token": .string(token)])]).serialized()
        case .invalid: return Array("null".utf8)
        }
    }
}

/// An outer response frame (compat): `"Pong"`, `{"Data":[…]}`, `"Ok"`, `{"Error":[…]}`.
public enum Response: Hashable, Sendable {
    case pong
    case data([UInt8])
    case ok
    /// An error message, sent as its UTF-8 bytes.
    case error(String)

    /// The text of the error for an unparseable request (compat).
    public static let invalidJSONMessage = "invalid JSON request"

    /// The compact JSON payload of this response.
    public func encoded() -> [UInt8] {
        switch self {
        case .pong: return Array(#""Pong""#.utf8)
        case .ok: return Array(#""Ok""#.utf8)
        case .data(let bytes): return Self.encodeByteEnvelope(key: "Data", bytes)
        case .error(let message): return Self.encodeByteEnvelope(key: "Error", Array(message.utf8))
        }
    }

    /// Decodes a response payload (what a client receives); nil if it is not one.
    public static func decode(_ payload: [UInt8]) -> Response? {
        if let bytes = DataArrayScanner.scan(payload) { return .data(bytes) }
        guard let json = try? JSON.parse(payload) else { return nil }
        switch json {
        case .string("Pong"): return .pong
        case .string("Ok"): return .ok
        case .object(let object) where object.pairs.count == 1:
            guard let bytes = object.pairs[0].value.byteArray() else { return nil }
            switch object.pairs[0].key {
            case "Data": return .data(bytes)
            case "Error": return .error(String(decoding: bytes, as: UTF8.self))
            default: return nil
            }
        default: return nil
        }
    }

    /// `{"<key>":[b0,b1,…]}` written directly, without building a JSON tree per byte.
    static func encodeByteEnvelope(key: String, _ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(key.utf8.count + 6 + bytes.count * 4)
        out.append(contentsOf: "{\"\(key)\":[".utf8)
        for (i, b) in bytes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if b >= 100 { out.append(0x30 + b / 100) }
            if b >= 10 { out.append(0x30 + (b / 10) % 10) }
            out.append(0x30 + b % 10)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }
}
