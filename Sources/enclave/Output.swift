import EnclaveClient
import EnclaveProtocol

/// Human-readable renderings of responses.
enum Output {
    /// `1.23` from microseconds.
    static func milliseconds(_ micros: Double) -> String {
        let hundredths = Int((micros / 10).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// An app block: name, hostname, code hash, key source and its exports sorted by name.
    static func app(_ app: AppSummary, verb: String) -> String {
        var lines = [
            "\(verb) \(app.name)",
            "  hostname:   \(app.hostname)",
            "  code_hash:  \(app.codeHash)",
            "  key_source: \(app.keySource)",
            "  exports (\(app.exports.count)):",
        ]
        let exports = app.exports.sorted { $0.name < $1.name }
        let width = exports.map(\.name.count).max() ?? 0
        for export in exports {
            let padding = String(repeating: " ", count: width - export.name.count)
            lines.append("    \(export.name)\(padding)  \(plural(export.paramCount, "param")) → \(plural(export.resultCount, "result"))")
        }
        return lines.joined(separator: "\n")
    }

    /// A returned typed value without its signature (a server without `wasm_schema`): strings
    /// and chars raw, numbers and booleans as text, anything compound as compact JSON.
    static func value(_ typed: JSON) -> String {
        guard let value = typed["value"] else { return typed.serializedString }
        switch value {
        case .string(let text): return text
        case .number(let number): return number.text
        case .bool(let flag): return flag ? "true" : "false"
        default: return value.serializedString
        }
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
