/// The HTTP/1.1 side of the protocol (served on the same TLS port as frames, see
/// docs/protocol.md): ALPN names, routes and limits that the server and the clients share.
public enum HTTPWire {
    /// ALPN protocol ids the server accepts: the original's RA-TLS id and plain HTTP/1.1.
    public static let alpnRATLS = "privasys-ratls/1"
    public static let alpnHTTP1 = "http/1.1"
    public static let alpnProtocols = [alpnRATLS, alpnHTTP1]

    /// Liveness: always `{"status":"ok"}`.
    public static let healthPath = "/healthz"
    /// Readiness: `{"status":"ready","apps":N}`.
    public static let readyPath = "/readyz"
    /// Prometheus text exposition.
    public static let metricsPath = "/metrics"
    /// A management document as the body; answered with the same document frames carry in `Data`.
    public static let dataPath = "/data"
    /// Operator shutdown (`Authorization: Bearer <operator token>`).
    public static let shutdownPath = "/shutdown"
    /// `POST /rpc/<app>/<function>` (named parameters) and `GET /rpc/<app>/schema`.
    public static let rpcPrefix = "/rpc/"
    /// The original's MCP-over-HTTP shim: `GET` lists, `POST …/<function>` calls.
    public static let mcpToolsPath = "/api/v1/mcp/tools"
    /// The Model Context Protocol endpoint (JSON-RPC 2.0, Streamable HTTP transport).
    public static let mcpPath = "/mcp"
    /// `POST /apps/<name>` with a raw `application/wasm` body: a load streamed into an upload.
    public static let appsPrefix = "/apps/"

    /// A named-parameter call's token for an app loaded with `app_auth` (an extension; the
    /// original's `app_auth` field in the body is read too).
    public static let appAuthHeader = "x-app-auth"

    /// Request headers larger than this (all names and values together) are refused.
    public static let maxHeaderBytes = 16 * 1024
    /// Header fields per request.
    public static let maxHeaderFields = 100
    /// The largest JSON body (the same as a frame's payload).
    public static let maxJSONBodyBytes = Frame.maxPayload
    /// A body sent without `Content-Length` (chunked) may be at most this large.
    public static let maxChunkedBodyBytes = 64 * 1024
}
