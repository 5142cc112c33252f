import Components
import EnclaveProtocol
import HostInterfaces
import SealedStore

/// One app as the registry holds it: identity, code, key, limits and its sealed key-value
/// store. Immutable once loaded.
public struct LoadedApp: Sendable {
    /// The unique name clients address it by.
    public let name: String
    /// The TLS server name (SNI) it answers to; defaults to `name`.
    public let hostname: String
    /// Lowercase hex SHA-256 of the bytes exactly as uploaded.
    public let codeHash: String
    /// The app's data key and where it came from.
    public let key: AppKey
    /// The parsed, validated component.
    public let component: Component
    /// Fuel and memory limits for each call.
    public let limits: ExecutionLimits
    /// The app's own sealed key-value store (docs/sdk.md, sealed store), shared by all its calls; closed when the
    /// app is unloaded. The WASI filesystem is built over it.
    public let kv: SealedKV
    /// What the SDK interfaces know of the app (sealing key, attestation extensions); nil for
    /// an app assembled without a store's sealing root (tests), whose sealing answers `err`.
    public let sdk: EnclaveApp?
    /// How the in-flight record names this app while its guest code runs.
    let inFlightMark: InFlightLedger.Mark
    /// The server's in-flight record (nil without a data directory): calls run recorded in it.
    let ledger: InFlightLedger?
    /// The token callers must present (`app_auth` at load); nil: anyone may call.
    let callCredential: AppCallCredential?

    /// Assembles a loaded app.
    public init(name: String, hostname: String, codeHash: String, key: AppKey, component: Component,
                limits: ExecutionLimits, kv: SealedKV, sdk: EnclaveApp? = nil) {
        self.init(name: name, hostname: hostname, codeHash: codeHash, key: key, component: component,
                  limits: limits, kv: kv, sdk: sdk, ledger: nil, callCredential: nil)
    }

    init(name: String, hostname: String, codeHash: String, key: AppKey, component: Component,
         limits: ExecutionLimits, kv: SealedKV, sdk: EnclaveApp?, ledger: InFlightLedger?,
         callCredential: AppCallCredential?) {
        self.callCredential = callCredential
        self.sdk = sdk
        self.name = name
        self.hostname = hostname
        self.codeHash = codeHash
        self.key = key
        self.component = component
        self.limits = limits
        self.kv = kv
        self.inFlightMark = InFlightLedger.Mark(appName: name, codeHash: codeHash)
        self.ledger = ledger
    }

    /// The app described by its persisted `record`, with its parsed component; its calls run
    /// recorded in `ledger`.
    init(record: AppRecord, component: Component, limits: ExecutionLimits, kv: SealedKV,
         sdk: EnclaveApp? = nil, ledger: InFlightLedger? = nil) {
        self.init(name: record.name, hostname: record.hostname, codeHash: record.codeHash, key: record.key,
                  component: component, limits: limits, kv: kv, sdk: sdk, ledger: ledger,
                  callCredential: record.appAuthDigest.map(AppCallCredential.init(stored:)))
    }

    /// The export called `name`, if any.
    public func export(named name: String) -> ExportedFunction? {
        component.exports.first { $0.name == name }
    }

    /// Export names sorted, as listed in responses and error messages.
    public var exportNames: [String] {
        component.exports.map(\.name).sorted()
    }

    /// The app object of `loaded` and `apps` responses.
    public var info: AppInfo {
        let exports = component.exports
            .sorted { $0.name < $1.name }
            .map { ExportSummary(name: $0.name, paramCount: $0.type.params.count, resultCount: $0.type.results.count) }
        return AppInfo(name: name, hostname: hostname, codeHash: codeHash, keySource: key.keySource, exports: exports)
    }
}
