import Foundation
import Logging

/// How the server writes log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `<level>: <message> key=value …`, the level left out for `info`: for people and `grep`.
    case text
    /// One JSON object per line: `timestamp`, `level`, `label`, `message`, `metadata`.
    case json
}

/// The server's swift-log handler: writes each entry as one line (text or JSON) to a sink,
/// standard error for `enclave-os`, a capture in tests.
///
/// Messages and metadata values are escaped (a value carrying a line break cannot forge a log
/// line) and cut to `maxMessageBytes` / `maxValueBytes`, so one entry stays one bounded line
/// whatever a client or guest put in it. Call sites still pass guest- and client-controlled
/// text through `LogText.field`, which also neutralises terminal escapes.
public struct ForwardingLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    /// Text or JSON lines.
    public let format: LogFormat
    private let label: String
    private let sink: @Sendable (String) -> Void

    /// The longest message written whole; longer ones are cut and say how long they were.
    public static let maxMessageBytes = 8 * 1024
    /// The longest metadata value written whole.
    public static let maxValueBytes = 1024

    /// A handler writing entries of `logLevel` and above to `sink`, as `format` lines.
    public init(label: String = "enclave-os", logLevel: Logger.Level = .info, format: LogFormat = .text,
                sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.logLevel = logLevel
        self.format = format
        self.sink = sink
    }

    /// A logger labelled `label` that writes `format` lines of `logLevel` and above to `sink`.
    public static func logger(label: String, logLevel: Logger.Level = .info, format: LogFormat = .text,
                              sink: @escaping @Sendable (String) -> Void) -> Logger {
        var logger = Logger(label: label) { label in
            ForwardingLogHandler(label: label, logLevel: logLevel, format: format, sink: sink)
        }
        logger.logLevel = logLevel
        return logger
    }

    /// A logger writing to standard error (one `write` per line, so lines from different
    /// threads do not interleave).
    public static func standardError(label: String = "enclave-os", logLevel: Logger.Level = .info,
                                     format: LogFormat = .text) -> Logger {
        logger(label: label, logLevel: logLevel, format: format) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata, !extra.isEmpty { fields.merge(extra) { $1 } }
        let message = Self.capped(event.message.description, maxBytes: Self.maxMessageBytes)
        switch format {
        case .text:
            sink(TextLogLine.render(level: event.level, message: message, metadata: fields))
        case .json:
            sink(JSONLogLine.render(timestamp: Date(), level: event.level, label: label, message: message,
                                    metadata: fields))
        }
    }

    /// `text` cut to `maxBytes` bytes of UTF-8, with its length noted (a character cut in two
    /// ends in U+FFFD).
    static func capped(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        return String(decoding: text.utf8.prefix(maxBytes), as: UTF8.self) + "…(\(text.utf8.count) bytes)"
    }
}

/// The text form of a log entry: `<level>: <message> key=value …` (sorted keys; no level for
/// `info`, so the operator-facing start-up lines read as plain sentences).
enum TextLogLine {
    static func render(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = level == .info ? "" : "\(level): "
        line += escaped(message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(escaped(ForwardingLogHandler.capped("\(value)", maxBytes: ForwardingLogHandler.maxValueBytes)))"
        }
        return line
    }

    /// `text` with control characters and line or paragraph separators written as `\n`,
    /// `\r`, `\t` or `\u{XX}`.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: breaksLines) else { return text }
        return String(text.unicodeScalars.map { scalar -> String in
            guard breaksLines(scalar) else { return String(scalar) }
            switch scalar {
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default: return "\\u{\(String(scalar.value, radix: 16))}"
            }
        }.joined())
    }

    private static func breaksLines(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}
