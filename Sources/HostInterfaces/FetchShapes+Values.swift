import Components
import Egress

/// The positional `fetch(method: u32, url, headers, body)` shape.
enum PositionalFetch {
    /// The request carried by the four arguments.
    static func request(_ arguments: [ComponentValue]) throws -> HTTPSFetchInterface.Request {
        guard arguments.count == 4, case .u32(let code) = arguments[0], case .string(let url) = arguments[1] else {
            throw FetchValues.mismatch("positional arguments")
        }
        let headers = try FetchValues.headers(arguments[2])
        let body = try FetchValues.optionalBytes(arguments[3])
        guard let method = try? EgressMethod(witCode: code) else {
            var refused = HTTPSFetchInterface.Request(method: .get, url: url, headers: headers, body: body)
            refused.refusal = "invalid method \(code): expected 0=GET 1=POST 2=PUT 3=DELETE 4=PATCH 5=HEAD 6=OPTIONS"
            return refused
        }
        return HTTPSFetchInterface.Request(method: method, url: url, headers: headers, body: body)
    }

    /// `tuple<u16, list<tuple<string,string>>, list<u8>>`.
    static func response(_ response: EgressResponse) -> ComponentValue {
        .tuple([.u16(response.status), FetchValues.headers(response.headers), .bytes(response.body)])
    }
}

/// The record `fetch(request) -> result<response, string>` shape, with its field positions
/// worked out once from the declared type (apps may omit the optional fields or order them
/// differently).
struct RecordFetch {
    private var method = -1, url = -1, headers = -1, body = -1
    private var bodyIsOptional = true
    private var ratls: Int?
    private var roots: Int?
    private var fieldCount = 0
    /// Response record field names in declared order.
    private var responseFields: [String] = []

    /// Nil when `type` is not a record-shaped `fetch` this host understands.
    init?(_ type: WITFunctionType) {
        guard type.params.count == 1, case .record(_, let fields) = type.params[0].type,
              type.results.count == 1,
              case .result(ok: .record(_, let response)?, err: .string?) = type.results[0].type
        else { return nil }
        fieldCount = fields.count
        for (index, field) in fields.enumerated() {
            switch (field.name, field.type) {
            case ("method", .enum(_, let cases)) where cases == FetchShapes.methods: method = index
            case ("url", .string): url = index
            case ("headers", FetchShapes.headers): headers = index
            case ("body", .option(FetchShapes.bytes)): body = index
            case ("body", FetchShapes.bytes): body = index; bodyIsOptional = false
            case ("ratls", .option): ratls = index
            case ("ca-roots-der", .option(.list(FetchShapes.bytes))): roots = index
            default: return nil
            }
        }
        guard method >= 0, url >= 0, headers >= 0, body >= 0 else { return nil }
        let expected: [String: WITType] = ["status": .u16, "headers": FetchShapes.headers, "body": FetchShapes.bytes]
        guard response.count == expected.count,
              response.allSatisfy({ expected[$0.name] == $0.type }) else { return nil }
        responseFields = response.map(\.name)
    }

    /// The request carried by the record argument.
    func request(_ arguments: [ComponentValue]) throws -> HTTPSFetchInterface.Request {
        guard arguments.count == 1, case .record(let values) = arguments[0], values.count == fieldCount,
              case .enum(let methodIndex) = values[method], let method = EgressMethod(rawValue: UInt32(methodIndex)),
              case .string(let url) = values[url]
        else { throw FetchValues.mismatch("request record") }
        let body = bodyIsOptional ? try FetchValues.optionalBytes(values[self.body]) : try FetchValues.rawBytes(values[self.body])
        var request = HTTPSFetchInterface.Request(
            method: method, url: url, headers: try FetchValues.headers(values[headers]), body: body)
        if let roots, case .option(let list?) = values[roots] {
            guard case .list(let items) = list else { throw FetchValues.mismatch("ca-roots-der") }
            request.trustRoots = try items.map(FetchValues.rawBytes)
        }
        if let ratls, case .option(.some) = values[ratls] {
            request.refusal = "ratls policies are not supported by this host: the peer's attestation would not be checked, so the request was not sent"
        }
        return request
    }

    /// The `response` record, fields in the order the app declared them.
    func response(_ response: EgressResponse) -> ComponentValue {
        .record(responseFields.map { field in
            switch field {
            case "status": return .u16(response.status)
            case "headers": return FetchValues.headers(response.headers)
            default: return .bytes(response.body)
            }
        })
    }
}

/// Conversions between component values and egress values.
enum FetchValues {
    static func mismatch(_ what: String) -> ComponentError {
        .trap("privasys:enclave-os/https fetch: \(what) do not match the declared type")
    }

    static func headers(_ value: ComponentValue) throws -> [(String, String)] {
        guard case .list(let items) = value else { throw mismatch("headers") }
        return try items.map { item in
            guard case .tuple(let pair) = item, pair.count == 2, case .string(let name) = pair[0],
                  case .string(let text) = pair[1] else { throw mismatch("headers") }
            return (name, text)
        }
    }

    static func headers(_ headers: [EgressHeader]) -> ComponentValue {
        .list(headers.map { .tuple([.string($0.name), .string($0.value)]) })
    }

    static func optionalBytes(_ value: ComponentValue) throws -> [UInt8]? {
        guard case .option(let inner) = value else { throw mismatch("body") }
        return try inner.map(rawBytes)
    }

    static func rawBytes(_ value: ComponentValue) throws -> [UInt8] {
        guard let bytes = value.byteList else { throw mismatch("byte list") }
        return bytes
    }
}
