import Foundation

/// One line of the final table: a measured figure beside its target.
struct Row {
    /// Which item it belongs to (1–8: the original benchmark list; 9: large values; 10: a
    /// large-memory app; 12: the sealed store; 13: a cluster behind HAProxy; 14: calls under
    /// hostile load), so the table reads in that order.
    var item: Int
    var metric: String
    /// The measured figure, already formatted, or `n/a (reason)`.
    var figure: String
    /// The target as the issue states it, or "—" when there is none.
    var target: String
    /// Whether the target is met; nil when there is no target or no figure.
    var met: Bool?
    /// The figure before the work that set the target (where and when it was measured), or nil.
    var baseline: String? = nil

    static func notAvailable(_ item: Int, _ metric: String, target: String = "—", reason: String) -> Row {
        Row(item: item, metric: metric, figure: "n/a (\(reason))", target: target, met: nil)
    }
}

/// Collects rows from the measurement groups and prints them as one Markdown table.
final class Report {
    private(set) var rows: [Row] = []
    private(set) var notes: [String] = []

    func add(_ row: Row) {
        rows.append(row)
        let target = row.target == "—" ? "" : " (target \(row.target)" + (row.baseline.map { "; before: \($0)" } ?? "") + ")"
        progress("  \(row.metric): \(row.figure)\(target)")
    }

    /// A line printed under the table (how something was measured, a caveat).
    func note(_ text: String) {
        notes.append(text)
    }

    /// The table (stable order: item, then insertion) and the notes, as Markdown.
    func markdown() -> String {
        var lines = ["| # | metric | figure | target | met? | before |", "|---|---|---|---|---|---|"]
        let ordered = rows.enumerated().sorted { ($0.element.item, $0.offset) < ($1.element.item, $1.offset) }
        for (_, row) in ordered {
            let met = row.met.map { $0 ? "yes" : "**no**" } ?? "—"
            lines.append("| \(row.item) | \(row.metric) | \(row.figure) | \(row.target) | \(met) | \(row.baseline ?? "—") |")
        }
        if !notes.isEmpty {
            lines.append("")
            lines += notes.map { "- \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// Progress and diagnostics go to standard error; standard output carries only the table.
func progress(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// Monotonic nanoseconds.
@inline(__always)
func now() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds
}

/// Timing samples in nanoseconds and their percentiles.
struct Samples {
    private(set) var values: [UInt64] = []

    init(capacity: Int = 0) {
        values.reserveCapacity(capacity)
    }

    mutating func add(_ nanoseconds: UInt64) {
        values.append(nanoseconds)
    }

    var count: Int { values.count }

    /// The value below which `p` percent of the samples fall (nearest rank).
    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)
        return Double(sorted[max(0, rank)])
    }

    var p50: Double { percentile(50) }
    var p99: Double { percentile(99) }

    /// `rounds` rounds of `measure(iterations:warmup:_:)` (the warm-up once, before the first):
    /// the round of median p50, and every round's p50 in ascending order. A round of a few
    /// thousand short calls lasts tens of milliseconds, which one burst of the host's other work
    /// can shift; the median round is what the code does, the range how steady the host was.
    static func medianRound(_ rounds: Int, iterations: Int, warmup: Int,
                            _ body: () throws -> Void) rethrows -> (median: Samples, p50s: [Double]) {
        var measured: [Samples] = []
        for round in 0..<max(1, rounds) {
            measured.append(try measure(iterations: iterations, warmup: round == 0 ? warmup : 0, body))
        }
        measured.sort { $0.p50 < $1.p50 }
        return (measured[measured.count / 2], measured.map(\.p50))
    }

    /// Times `body` `iterations` times after `warmup` untimed runs.
    static func measure(iterations: Int, warmup: Int, _ body: () throws -> Void) rethrows -> Samples {
        for _ in 0..<warmup { try body() }
        var samples = Samples(capacity: iterations)
        for _ in 0..<iterations {
            let start = now()
            try body()
            samples.add(now() - start)
        }
        return samples
    }
}

/// Number formatting for the table: a few significant digits, thousands separated.
enum Format {
    static func micros(_ nanoseconds: Double) -> String { number(nanoseconds / 1_000) }
    static func millis(_ nanoseconds: Double) -> String { number(nanoseconds / 1_000_000) }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "?" }
        let magnitude = abs(value)
        let digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        let text = String(format: "%.\(digits)f", value)
        guard magnitude >= 10_000, digits == 0 else { return text }
        // Group thousands: 25841 → 25,841.
        var out = "", count = 0
        for character in text.reversed() {
            if count > 0, count % 3 == 0, character != "-" { out.append(",") }
            out.append(character)
            count += 1
        }
        return String(out.reversed())
    }

    /// "p50 / p99 µs" from samples in nanoseconds.
    static func microsPair(_ samples: Samples) -> String {
        "\(micros(samples.p50)) / \(micros(samples.p99)) µs (n=\(samples.count))"
    }
}
