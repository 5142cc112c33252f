import Components
import Egress

/// `privasys:enclave-os/https@0.1.0` (wit/ and docs/sdk.md): apps' HTTPS egress, bound to the server's one
/// `HTTPSEgress` client (TLS terminates in this process).
///
/// Two WIT shapes of `fetch` exist in the wild; the implementation is chosen when a component
/// loads, by the type it declares (`HostFunction(binding:)`):
/// - positional: `fetch(method: u32, url: string, headers: list<tuple<string,string>>,
///   body: option<list<u8>>) -> result<tuple<u16, list<tuple<string,string>>, list<u8>>, string>`
/// - record: `fetch(request: request) -> result<response, string>` with
///   `request { method: method-enum, url, headers, body: option<list<u8>>, ratls?: option<…>,
///   ca-roots-der?: option<list<list<u8>>> }` and `response { status: u16, headers, body }`.
///
/// Any other declared type refuses the component at load, naming the type. Every failure of a
/// request is an `err(string)` for the app, never a trap.
public enum HTTPSFetchInterface {
    /// The interface's import name.
    public static let name = "privasys:enclave-os/https@0.1.0"

    /// The outcome of one egress request.
    public typealias Outcome = Result<EgressResponse, EgressError>

    /// How a call waits for the network: the server runs the wait so that the call gives its
    /// execution slot to others meanwhile; `{ $0() }` just waits (tests, tools).
    public typealias WaitStrategy = @Sendable (() -> Outcome) -> Outcome

    /// Adds `fetch` to `imports`. Without an egress client (none configured) every request
    /// answers `err` saying so, and components importing the interface still load.
    public static func register(into imports: inout HostImports, egress: HTTPSEgress?,
                                whileWaiting: @escaping WaitStrategy = { $0() }) {
        imports.define(instance: name, function: "fetch", HostFunction(binding: { type in
            if FetchShapes.isPositional(type) {
                return HostFunction { context, arguments in
                    [perform(try PositionalFetch.request(arguments), egress, context.control, whileWaiting,
                             PositionalFetch.response)]
                }
            }
            if let record = RecordFetch(type) {
                return HostFunction { context, arguments in
                    [perform(try record.request(arguments), egress, context.control, whileWaiting, record.response)]
                }
            }
            return nil
        }))
    }

    /// One request, as both shapes carry it.
    struct Request {
        var method: EgressMethod
        var url: String
        var headers: [(String, String)]
        var body: [UInt8]?
        var trustRoots: [[UInt8]]?
        /// Set when the app asked for something this host cannot do; answered as `err`.
        var refusal: String?
    }

    /// Runs `request` and encodes the outcome as the declared `result<…, string>`. The wait
    /// ends by the egress timeout, or as soon as the call passes its deadline or is stopped (the
    /// request is then abandoned, and the call fails with the reason when the host call returns);
    /// it runs inside `whileWaiting`, so the server can give the call's slot to others meanwhile.
    private static func perform(_ request: Request, _ egress: HTTPSEgress?, _ control: CallControl?,
                                _ whileWaiting: WaitStrategy,
                                _ encode: (EgressResponse) -> ComponentValue) -> ComponentValue {
        if let refusal = request.refusal { return failure(refusal) }
        guard let egress else { return failure("HTTPS egress is not available on this server") }
        let outcome = whileWaiting {
            egress.fetchBlocking(method: request.method, url: request.url, headers: request.headers,
                                 body: request.body, trustRoots: request.trustRoots,
                                 stopReason: control.map { control in { @Sendable in control.stopError?.description } })
        }
        switch outcome {
        case .success(let response): return .result(isError: false, payload: encode(response))
        case .failure(let error): return failure(error.description)
        }
    }

    static func failure(_ message: String) -> ComponentValue {
        .result(isError: true, payload: .string(message))
    }
}

/// The WIT types `fetch` may be declared with.
enum FetchShapes {
    static let headers = WITType.list(.tuple([.string, .string]))
    static let bytes = WITType.list(.u8)
    static let methods = ["get", "post", "put", "delete", "patch", "head", "options"]

    /// The positional shape (this repository's `Guests/wasm-app-example/wit/deps/enclave-os`).
    static let positional = WITFunctionType(
        params: [
            WITParameter(name: "method", type: .u32), WITParameter(name: "url", type: .string),
            WITParameter(name: "headers", type: headers), WITParameter(name: "body", type: .option(bytes)),
        ],
        results: [WITParameter(name: "", type: .result(ok: .tuple([.u16, headers, bytes]), err: .string))])

    /// Whether `type` is the positional shape (parameter names are the app's choice).
    static func isPositional(_ type: WITFunctionType) -> Bool {
        type.params.map(\.type) == positional.params.map(\.type)
            && type.results.map(\.type) == positional.results.map(\.type)
    }
}
