import Logging

/// A swift-log handler that writes each entry as one line to a sink: the bridge between the
/// `Logger` that service-lifecycle (and the server's lifecycle messages) use and the
/// `ServerConfiguration.log` closure the rest of the server still logs through, so both end up
/// in the same place, in order.
///
/// Lines read `<message> key=value …`, with the level in front when it is not `info`
/// (`warning: …`). Metadata values are written with `escaped` applied, so a value carrying a
/// line break cannot forge a log line.
public struct ForwardingLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let sink: @Sendable (String) -> Void

    /// A handler writing entries of `logLevel` and above to `sink`.
    public init(logLevel: Logger.Level = .info, sink: @escaping @Sendable (String) -> Void) {
        self.logLevel = logLevel
        self.sink = sink
    }

    /// A logger labelled `label` that writes to `sink`.
    public static func logger(label: String, logLevel: Logger.Level = .info,
                              sink: @escaping @Sendable (String) -> Void) -> Logger {
        Logger(label: label) { _ in ForwardingLogHandler(logLevel: logLevel, sink: sink) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let suffix = fields.sorted { $0.key < $1.key }
            .map { " \($0.key)=\(Self.escaped("\($0.value)"))" }
            .joined()
        let prefix = event.level == .info ? "" : "\(event.level): "
        sink("\(prefix)\(Self.escaped(event.message.description))\(suffix)")
    }

    /// `text` with control characters written as `\n`, `\r`, `\t` or `\u{XX}`.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        return String(text.unicodeScalars.map { scalar -> String in
            guard scalar.properties.generalCategory == .control else { return String(scalar) }
            switch scalar {
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default: return "\\u{\(String(scalar.value, radix: 16))}"
            }
        }.joined())
    }
}
