import EnclaveProtocol
import NIOHTTP1

/// One HTTP response, and what the connection does after writing it.
struct HTTPAnswer: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []
    /// Close the connection once the response is written (a body left unread, a broken stream).
    var closeAfter = false
    /// Stop the server once the response is written (an authorised `POST /shutdown`).
    var shutdownAfter = false

    static let jsonType = "application/json"

    /// 200 with a JSON document.
    static func json(_ document: [UInt8], status: HTTPResponseStatus = .ok) -> HTTPAnswer {
        HTTPAnswer(status: status, contentType: jsonType, body: document)
    }

    /// 200 with a JSON value.
    static func json(_ value: JSON, status: HTTPResponseStatus = .ok) -> HTTPAnswer {
        json(value.serialized(), status: status)
    }

    /// An error as the original writes them: `{"error":"<message>"}` with a 4xx/5xx status.
    static func error(_ status: HTTPResponseStatus, _ message: String) -> HTTPAnswer {
        json(.object(["error": .string(message)]), status: status)
    }

    static let notFound = error(.notFound, "not found")
    static let methodNotAllowed = error(.methodNotAllowed, "method not allowed")
}
