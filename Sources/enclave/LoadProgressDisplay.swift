import Dispatch
import EnclaveClient
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows a load's progress on standard error: one line redrawn in place on a terminal (bytes,
/// rate, time left), plain lines saying what happens otherwise (logs, CI).
final class LoadProgressDisplay: @unchecked Sendable {
    // @unchecked: called from the one thread running the load, never concurrently.
    private let isTerminal = isatty(2) != 0
    private let label: String
    private var started: UInt64 = 0
    private var lastDraw: UInt64 = 0
    private var lastPhase: LoadProgress.Phase?
    private var lineOpen = false

    init(label: String) {
        self.label = label
    }

    func update(_ progress: LoadProgress) {
        let now = DispatchTime.now().uptimeNanoseconds
        let phaseChanged = progress.phase != lastPhase
        if phaseChanged, progress.phase == .uploading { started = now }
        defer { lastPhase = progress.phase }
        if isTerminal {
            // Redraw at most 10 times a second, and always at a phase change or the end.
            guard phaseChanged || now - lastDraw > 100_000_000 || progress.bytesDone == progress.totalBytes else { return }
            lastDraw = now
            fputs("\r\u{1B}[K" + line(progress, now: now), stderr)
            lineOpen = true
        } else if phaseChanged {
            fputs(line(progress, now: now) + "\n", stderr)
        }
    }

    /// Ends the redrawn line so that the result starts on a fresh one.
    func finish() {
        if lineOpen { fputs("\n", stderr) }
        lineOpen = false
    }

    private func line(_ progress: LoadProgress, now: UInt64) -> String {
        let total = Self.mebibytes(progress.totalBytes)
        switch progress.phase {
        case .hashing:
            return "hashing \(label) (\(total) MiB) for the streamed load"
        case .committing:
            let seconds = Double(now - started) / 1e9
            return "sent \(total) MiB in \(Self.decimal(seconds)) s; the server verifies and compiles the component"
        case .uploading:
            guard isTerminal else { return "uploading \(label): \(total) MiB, \(progress.method)" }
            let seconds = max(Double(now - started) / 1e9, 0.001)
            let rate = Double(progress.bytesDone) / seconds
            let percent = progress.totalBytes == 0 ? 100 : progress.bytesDone * 100 / progress.totalBytes
            let left = rate > 0 ? Double(progress.totalBytes - progress.bytesDone) / rate : 0
            return "uploading \(label): \(Self.mebibytes(progress.bytesDone)) / \(total) MiB  \(percent)%  "
                + "\(Self.decimal(rate / Double(1 << 20))) MiB/s  ETA \(Self.decimal(left)) s"
        }
    }

    private static func mebibytes(_ bytes: Int) -> String { decimal(Double(bytes) / Double(1 << 20)) }

    /// One decimal place, without Foundation's formatters.
    private static func decimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
