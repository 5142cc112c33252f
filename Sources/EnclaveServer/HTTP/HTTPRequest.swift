import EnclaveProtocol
import NIOHTTP1

/// A complete HTTP request as the router sees it: head fields it needs and the whole body.
struct HTTPRequest: Sendable {
    var method: HTTPMethod
    /// The path without the query string, percent-decoding left to each route.
    var path: String
    var query: String?
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The connection and request number, for the log lines of its outcome.
    var origin = RequestOrigin.none

    init(head: HTTPRequestHead, body: [UInt8]) {
        method = head.method
        headers = head.headers
        self.body = body
        if let mark = head.uri.firstIndex(of: "?") {
            path = String(head.uri[..<mark])
            query = String(head.uri[head.uri.index(after: mark)...])
        } else {
            path = head.uri
            query = nil
        }
    }

    /// The token of `Authorization: Bearer <token>`, if any.
    var bearerToken: String? {
        guard let value = headers.first(name: "authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = String(parts[1].drop(while: { $0 == " " }))
        return token.isEmpty ? nil : token
    }

    /// The first DNS label of the Host header, the original's way of naming an app on a shared
    /// gateway (`<app>.example`); empty for no Host, `localhost` or an IP address.
    var hostLabel: String {
        guard var host = headers.first(name: "host"), !host.hasPrefix("[") else { return "" }
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        if host.allSatisfy({ $0.isNumber || $0 == "." }) { return "" }
        let label = host.split(separator: ".", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return label == "localhost" ? "" : label
    }

    /// A header's value, if present.
    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// `%XX` decoding of one path segment; nil for a malformed escape or bytes that are not UTF-8.
func percentDecoded(_ segment: Substring) -> String? {
    guard segment.contains("%") else { return String(segment) }
    var bytes: [UInt8] = []
    var iterator = Array(segment.utf8).makeIterator()
    while let byte = iterator.next() {
        guard byte == UInt8(ascii: "%") else {
            bytes.append(byte)
            continue
        }
        guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
        bytes.append(high << 4 | low)
    }
    return String(validating: bytes, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}
