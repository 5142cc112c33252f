/// A guest's stdout or stderr, cut into lines for the server log (wit/ and docs/sdk.md), with caps.
///
/// Bytes accumulate until a newline; each complete line goes to `sink`. A line longer than
/// `maxLineBytes` is emitted in pieces (so one endless line cannot hold host memory), and after
/// `maxTotalBytes` in a call further output is counted but dropped, with one notice line.
/// Invalid UTF-8 is replaced, never trusted.
public struct OutputLines {
    /// Longest line emitted in one piece.
    public let maxLineBytes: Int
    /// Most bytes accepted per call.
    public let maxTotalBytes: Int
    /// Receives each line, without its newline.
    public let sink: (String) -> Void
    private var pending: [UInt8] = []
    /// Bytes accepted so far.
    public private(set) var acceptedBytes = 0
    /// Bytes dropped past `maxTotalBytes`.
    public private(set) var droppedBytes = 0

    /// A buffer sending lines to `sink`.
    public init(maxLineBytes: Int = 8 * 1024, maxTotalBytes: Int = 1 << 20, sink: @escaping (String) -> Void) {
        self.maxLineBytes = maxLineBytes
        self.maxTotalBytes = maxTotalBytes
        self.sink = sink
    }

    /// Appends guest output.
    public mutating func write(_ bytes: [UInt8]) {
        let room = max(0, maxTotalBytes - acceptedBytes)
        let accepted = bytes.prefix(room)
        if accepted.count < bytes.count {
            if droppedBytes == 0 { dropNotice() }
            droppedBytes += bytes.count - accepted.count
        }
        acceptedBytes += accepted.count
        for byte in accepted {
            if byte == UInt8(ascii: "\n") {
                emit()
            } else {
                pending.append(byte)
                if pending.count >= maxLineBytes { emit() }
            }
        }
    }

    /// Emits a final unterminated line, if any (end of call).
    public mutating func finish() {
        if !pending.isEmpty { emit() }
    }

    private mutating func emit() {
        sink(String(decoding: pending, as: UTF8.self))
        pending.removeAll(keepingCapacity: true)
    }

    private mutating func dropNotice() {
        finish()
        sink("[output truncated: more than \(maxTotalBytes) bytes in one call]")
    }
}
