import Foundation
import Logging

/// The JSON form of a log entry: one object per line,
/// `{"timestamp":"2026-01-02T03:04:05.678Z","level":"info","label":"enclave-os","message":"…","metadata":{…}}`.
///
/// Metadata values that are integers or floating-point numbers are written as JSON numbers
/// (durations, fuel, byte counts), nested metadata as objects and arrays, anything else as a
/// string. Keys are sorted, so equal entries render equal lines.
enum JSONLogLine {
    static func render(timestamp: Date, level: Logger.Level, label: String, message: String,
                       metadata: Logger.Metadata) -> String {
        var out = "{\"timestamp\":\""
        out += iso8601(timestamp)
        out += "\",\"level\":"
        appendString(level.rawValue, to: &out)
        out += ",\"label\":"
        appendString(label, to: &out)
        out += ",\"message\":"
        appendString(message, to: &out)
        out += ",\"metadata\":"
        appendObject(metadata, to: &out)
        out += "}"
        return out
    }

    private static func appendObject(_ metadata: Logger.Metadata, to out: inout String) {
        out += "{"
        for (index, (key, value)) in metadata.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            appendValue(value, to: &out)
        }
        out += "}"
    }

    private static func appendValue(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .string(let text):
            appendString(ForwardingLogHandler.capped(text, maxBytes: ForwardingLogHandler.maxValueBytes), to: &out)
        case .stringConvertible(let convertible):
            if convertible is any BinaryInteger {
                out += convertible.description
            } else if let number = convertible as? Double, number.isFinite {
                out += convertible.description
            } else {
                appendString(ForwardingLogHandler.capped(convertible.description, maxBytes: ForwardingLogHandler.maxValueBytes),
                             to: &out)
            }
        case .dictionary(let nested):
            appendObject(nested, to: &out)
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                appendValue(element, to: &out)
            }
            out += "]"
        }
    }

    /// `text` as a JSON string: quotes, backslashes and every control character escaped (so
    /// the line stays one line), everything else as UTF-8.
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}", "\u{2029}": out += "\\u\(String(scalar.value, radix: 16))"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// UTC, millisecond precision: `2026-01-02T03:04:05.678Z`.
    static func iso8601(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let millis = Int((seconds - Double(whole)) * 1000)
        var parts = tm()
        gmtime_r(&whole, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }
}
