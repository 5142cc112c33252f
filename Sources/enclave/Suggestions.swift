/// "Did you mean …?" for mistyped command names: the closest known name by edit distance,
/// when it is close enough to be a typo rather than a different word.
enum Suggestions {
    /// The best candidate for `word`, or nil when none is within a third of its length (min 1).
    static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = max(1, word.count / 3)
        let scored = candidates.map { ($0, distance(word.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else {
            // A prefix is also a good hint: `enclave un` → `unload`.
            return word.count >= 2 ? candidates.first { $0.hasPrefix(word.lowercased()) } : nil
        }
        return best.0
    }

    /// The error line for an unknown command, with a suggestion when there is one.
    static func unknownCommand(_ word: String, among candidates: [String]) -> String {
        var message = "unknown command '\(word)'"
        if let guess = closest(to: word, among: candidates) { message += "; did you mean '\(guess)'?" }
        return message
    }

    /// Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    /// substitutions and swaps of neighbours each cost 1 (`lsit` → `list` is 1).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { rows[i][0] = i }
        for j in 0...y.count { rows[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
                }
            }
        }
        return rows[x.count][y.count]
    }
}
