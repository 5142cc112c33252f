import Dispatch
import EnclaveClient
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows a load's progress on standard error: one line redrawn in place on a terminal (bytes,
/// rate, time left), plain lines saying what happens otherwise (logs, CI).
final class LoadProgressDisplay: Sendable {
    private let isTerminal = isatty(2) != 0
    private let label: String

    /// What has been shown so far (updates come from the thread running the load).
    private struct State {
        var started: UInt64 = 0
        var lastDraw: UInt64 = 0
        var lastPhase: LoadProgress.Phase?
        var lineOpen = false
    }
    private let state = Mutex(State())

    init(label: String) {
        self.label = label
    }

    func update(_ progress: LoadProgress) {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { state in
            let phaseChanged = progress.phase != state.lastPhase
            if phaseChanged, progress.phase == .uploading { state.started = now }
            defer { state.lastPhase = progress.phase }
            if isTerminal {
                // Redraw at most 10 times a second, and always at a phase change or the end.
                guard phaseChanged || now - state.lastDraw > 100_000_000 || progress.bytesDone == progress.totalBytes else { return }
                state.lastDraw = now
                Terminal.writeError("\r\u{1B}[K" + line(progress, now: now, started: state.started))
                state.lineOpen = true
            } else if phaseChanged {
                Terminal.writeError(line(progress, now: now, started: state.started) + "\n")
            }
        }
    }

    /// Ends the redrawn line so that the result starts on a fresh one.
    func finish() {
        state.withLock { state in
            if state.lineOpen { Terminal.writeError("\n") }
            state.lineOpen = false
        }
    }

    private func line(_ progress: LoadProgress, now: UInt64, started: UInt64) -> String {
        let unit = SizeUnit(for: progress.totalBytes)
        let total = unit.format(progress.totalBytes)
        switch progress.phase {
        case .hashing:
            return "hashing \(label) (\(total)) for the streamed load"
        case .committing:
            let seconds = Double(now - started) / 1e9
            return "sent \(total) in \(Self.decimal(seconds)) s; the server verifies and compiles the component"
        case .uploading:
            // Only a streamed load reports bytes as they are acknowledged.
            guard isTerminal, progress.isStreamed else { return "uploading \(label): \(total), \(progress.method)" }
            let seconds = max(Double(now - started) / 1e9, 0.001)
            let rate = Double(progress.bytesDone) / seconds
            let percent = progress.totalBytes == 0 ? 100 : progress.bytesDone * 100 / progress.totalBytes
            let left = rate > 0 ? Double(progress.totalBytes - progress.bytesDone) / rate : 0
            return "uploading \(label): \(unit.number(progress.bytesDone)) / \(total)  \(percent)%  "
                + "\(Self.decimal(rate / Double(1 << 20))) MiB/s  ETA \(Self.decimal(left)) s"
        }
    }

    /// The unit sizes are shown in, chosen by the total so that a 4 KB component does not
    /// read `0.0 MiB`.
    private struct SizeUnit {
        let name: String
        let bytes: Int

        init(for total: Int) {
            (name, bytes) = total >= 1 << 20 ? ("MiB", 1 << 20) : total >= 1 << 10 ? ("KiB", 1 << 10) : ("bytes", 1)
        }

        /// The number alone, with one decimal place above bytes.
        func number(_ value: Int) -> String {
            bytes == 1 ? "\(value)" : LoadProgressDisplay.decimal(Double(value) / Double(bytes))
        }

        /// The number and the unit.
        func format(_ value: Int) -> String { "\(number(value)) \(name)" }
    }

    /// One decimal place, without Foundation's formatters.
    fileprivate static func decimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
