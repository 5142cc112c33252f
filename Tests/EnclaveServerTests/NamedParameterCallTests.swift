import EnclaveProtocol
@testable import EnclaveServer
import NIOHTTP1
import XCTest

/// How the named-parameter routes read a request, without a server: the parameters, the
/// caller's `app_auth` (header first, then the body's field) and the refusals, with their texts.
final class NamedParameterCallTests: XCTestCase {
    private func request(_ body: String, headers: [(String, String)] = []) -> HTTPRequest {
        HTTPRequest(head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/rpc/demo/add", headers: HTTPHeaders(headers)),
                    body: Array(body.utf8))
    }

    private func parsed(_ result: NamedParameterCall.Parsed, file: StaticString = #filePath, line: UInt = #line) throws -> NamedParameterCall {
        guard case .call(let call) = result else {
            XCTFail("refused: \(result)", file: file, line: line)
            throw CancellationError()
        }
        return call
    }

    private func refusal(_ result: NamedParameterCall.Parsed) -> String? {
        guard case .refused(let answer) = result else { return nil }
        return "\(answer.status.code) \(String(decoding: answer.body, as: UTF8.self))"
    }

    func testTransportFieldsAreNotParametersAndTheHeaderWinsOverTheBody() throws {
        let body = #"{"a":1,"app_auth":"from-body","billing_approved":true,"b":2}"#
        let fromBody = try parsed(NamedParameterCall.parse(request(body)))
        XCTAssertEqual(fromBody.parameters.serializedString, #"{"a":1,"b":2}"#)
        XCTAssertEqual(fromBody.appAuth, "from-body")
        let fromHeader = try parsed(NamedParameterCall.parse(request(body, headers: [("X-App-Auth", "from-header")])))
        XCTAssertEqual(fromHeader.appAuth, "from-header")
        XCTAssertEqual(fromHeader.parameters.serializedString, #"{"a":1,"b":2}"#)
        // A body app_auth that is not a string is no token, and still not a parameter.
        let numeric = try parsed(NamedParameterCall.parse(request(#"{"a":1,"app_auth":7}"#)))
        XCTAssertNil(numeric.appAuth)
        XCTAssertEqual(numeric.parameters.serializedString, #"{"a":1}"#)
    }

    func testAnEmptyBodyIsNoParameters() throws {
        let call = try parsed(NamedParameterCall.parse(request("", headers: [("X-App-Auth", "t")])))
        XCTAssertEqual(call.parameters.serializedString, "{}")
        XCTAssertEqual(call.appAuth, "t")
        XCTAssertNil(try parsed(NamedParameterCall.parse(request(""))).appAuth)
    }

    func testRefusalsAndTheirTexts() throws {
        XCTAssertEqual(refusal(NamedParameterCall.parse(request("[1]"))),
                       #"400 {"error":"expected a JSON object of named parameters"}"#)
        let badJSON = refusal(NamedParameterCall.parse(request("{")))
        XCTAssertTrue(badJSON?.hasPrefix(#"400 {"error":"invalid JSON body: "#) == true, badJSON ?? "accepted")
        let cap = ManagementEnvelope.maxCredentialBytes
        let atCap = String(repeating: "x", count: cap)
        XCTAssertEqual(try parsed(NamedParameterCall.parse(request("{}", headers: [("X-App-Auth", atCap)]))).appAuth, atCap)
        let over = String(repeating: "x", count: cap + 1)
        let tooLong = #"400 {"error":"app_auth: longer than \#(cap) bytes"}"#
        XCTAssertEqual(refusal(NamedParameterCall.parse(request("{}", headers: [("X-App-Auth", over)]))), tooLong)
        XCTAssertEqual(refusal(NamedParameterCall.parse(request(#"{"app_auth":"\#(over)"}"#))), tooLong)
    }

    /// `/mcp` `tools/call`: the arguments come from the JSON-RPC message, the token from the header only.
    func testParametersParsedElsewhereTakeTheHeaderTokenOnly() throws {
        let rpc = request(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"app_auth":"not-read"}}"#)
        let arguments = JSON.object(["a": .int(1)])
        let anonymous = try parsed(NamedParameterCall.parse(rpc, parameters: arguments))
        XCTAssertNil(anonymous.appAuth)
        XCTAssertEqual(anonymous.parameters, arguments)
        var withHeader = rpc
        withHeader.headers.add(name: "X-App-Auth", value: "t")
        XCTAssertEqual(try parsed(NamedParameterCall.parse(withHeader, parameters: arguments)).appAuth, "t")
    }
}
