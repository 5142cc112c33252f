import CoreMetrics
import Prometheus

/// The server's metrics, recorded through the swift-metrics API into this server's own
/// Prometheus registry (not the process-wide `MetricsSystem`, so that several servers in one
/// process, as in tests, keep separate counts) and rendered as Prometheus text at `/metrics`.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let perApp = Locked([String: AppMetrics]())

    private let requestsFrames: CoreMetrics.Counter
    private let requestsHTTP: CoreMetrics.Counter
    private let requestBytesFrames: CoreMetrics.Counter
    private let requestBytesHTTP: CoreMetrics.Counter
    private let responseBytesFrames: CoreMetrics.Counter
    private let responseBytesHTTP: CoreMetrics.Counter
    private let loads: CoreMetrics.Counter
    private let loadFailures: CoreMetrics.Counter
    private let loadedBytes: CoreMetrics.Counter
    private let unloads: CoreMetrics.Counter
    private let egressAnswered: CoreMetrics.Counter
    private let egressFailed: CoreMetrics.Counter
    private let errorCounters: [CallErrorKind: CoreMetrics.Counter]
    let openConnections: CoreMetrics.Gauge
    let callsInFlight: CoreMetrics.Gauge
    let appsLoaded: CoreMetrics.Gauge
    let requestBudgetBytes: CoreMetrics.Gauge
    let uploadsInProgress: CoreMetrics.Gauge
    /// The call queue: calls holding an execution slot, waiting for one, and waiting in a host
    /// operation (HTTPS) without one.
    let callsRunning: CoreMetrics.Gauge
    let callsWaiting: CoreMetrics.Gauge
    let callsBlocked: CoreMetrics.Gauge

    /// The transport a request arrived on.
    public enum Transport: Sendable { case frames, http }

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1),
            .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500),
            .seconds(1), .seconds(5), .seconds(30),
        ]
        self.factory = factory
        func counter(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
        }
        func gauge(_ label: String) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: label, dimensions: [], factory: factory) }
        requestsFrames = counter("enclave_requests_total", [("transport", "frames")])
        requestsHTTP = counter("enclave_requests_total", [("transport", "http")])
        requestBytesFrames = counter("enclave_request_bytes_total", [("transport", "frames")])
        requestBytesHTTP = counter("enclave_request_bytes_total", [("transport", "http")])
        responseBytesFrames = counter("enclave_response_bytes_total", [("transport", "frames")])
        responseBytesHTTP = counter("enclave_response_bytes_total", [("transport", "http")])
        loads = counter("enclave_app_loads_total", [("outcome", "loaded")])
        loadFailures = counter("enclave_app_loads_total", [("outcome", "refused")])
        loadedBytes = counter("enclave_app_loaded_bytes_total")
        unloads = counter("enclave_app_unloads_total")
        egressAnswered = counter("enclave_egress_requests_total", [("outcome", "answered")])
        egressFailed = counter("enclave_egress_requests_total", [("outcome", "failed")])
        var errors: [CallErrorKind: CoreMetrics.Counter] = [:]
        for kind in CallErrorKind.allCases { errors[kind] = counter("enclave_call_errors_total", [("kind", kind.rawValue)]) }
        errorCounters = errors
        openConnections = gauge("enclave_open_connections")
        callsInFlight = gauge("enclave_calls_in_flight")
        appsLoaded = gauge("enclave_apps_loaded")
        requestBudgetBytes = gauge("enclave_request_budget_used_bytes")
        uploadsInProgress = gauge("enclave_uploads_in_progress")
        callsRunning = gauge("enclave_calls_running")
        callsWaiting = gauge("enclave_calls_waiting")
        callsBlocked = gauge("enclave_calls_blocked")
    }

    /// One request read (a frame or an HTTP request) of `bytes` payload bytes.
    func request(_ transport: Transport, bytes: Int) {
        (transport == .frames ? requestsFrames : requestsHTTP).increment()
        (transport == .frames ? requestBytesFrames : requestBytesHTTP).increment(by: Int64(bytes))
    }

    /// One response written of `bytes` payload bytes.
    func response(_ transport: Transport, bytes: Int) {
        (transport == .frames ? responseBytesFrames : responseBytesHTTP).increment(by: Int64(bytes))
    }

    /// A load that ended `loaded` (with the component's size) or refused.
    func load(succeeded: Bool, bytes: Int) {
        if succeeded {
            loads.increment()
            loadedBytes.increment(by: Int64(bytes))
        } else {
            loadFailures.increment()
        }
    }

    /// An app's HTTPS request that got a response (whatever its status) or failed.
    func egress(failed: Bool) {
        (failed ? egressFailed : egressAnswered).increment()
    }

    /// An app unloaded.
    func unload() {
        unloads.increment()
    }

    /// A call of `app` that took `nanoseconds`, used `fuel` (when known) and failed with
    /// `error`, if it did.
    func call(app: String, nanoseconds: Int64, error: CallErrorKind?, fuel: UInt64? = nil) {
        let metrics = perApp.withLock { table -> AppMetrics in
            if let existing = table[app] { return existing }
            let created = AppMetrics(app: app, factory: factory)
            table[app] = created
            return created
        }
        metrics.calls.increment()
        metrics.duration.recordNanoseconds(nanoseconds)
        if let fuel { metrics.fuel.increment(by: Int64(clamping: fuel)) }
        if let error { errorCounters[error]?.increment() }
    }

    /// A call refused before it ran (unknown app or export, arguments that do not match).
    func callRefused() {
        errorCounters[.request]?.increment()
    }

    /// The content type of `render()`'s text (Prometheus exposition format 0.0.4).
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The Prometheus text exposition of everything recorded.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }

    private struct AppMetrics: Sendable {
        let calls: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
        let fuel: CoreMetrics.Counter

        init(app: String, factory: PrometheusMetricsFactory) {
            calls = CoreMetrics.Counter(label: "enclave_calls_total", dimensions: [("app", app)], factory: factory)
            duration = CoreMetrics.Timer(label: "enclave_call_duration_seconds", dimensions: [("app", app)], factory: factory)
            fuel = CoreMetrics.Counter(label: "enclave_call_fuel_total", dimensions: [("app", app)], factory: factory)
        }
    }
}

