import Components
import EnclaveClient
import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix

/// Item 4: `wasm_load` round trips of a ~100 KB and a ~1 MB component (generated, real code:
/// Guests/bench-guest/generate_large.py), sent as the compat integer array and as base64.
enum LoadBench {
    static func run(_ options: Options, report: Report) async throws {
        let server = try ServerProcess.launch(label: "load")
        defer { server.stop() }
        let group = PipelinedConnection.clientGroup
        let context = try PipelinedConnection.makeContext()
        let connection = try await PipelinedConnection.connect(port: server.port, context: context, group: group).get()
        let manager = try await EnclaveConnection.connect(port: server.port)
        let cases: [(file: String, label: String, base64: Bool, target: Double?)] = [
            (Guests.large100K, "100 KB", false, nil),
            (Guests.large100K, "100 KB", true, nil),
            (Guests.large1M, "1 MB", false, 150),
            (Guests.large1M, "1 MB", true, 20),
        ]
        var serial = 0
        for entry in cases {
            let bytes = try options.bytes(entry.file)
            let runs = options.scaled(entry.label == "1 MB" ? 8 : 15, quick: 3)
            var samples = Samples(capacity: runs)
            var failure: String?
            for run in -1..<runs {  // run -1 is a warm-up
                serial += 1
                let name = "load-\(serial)"
                let payload = loadPayload(name: name, bytes: bytes, base64: entry.base64)
                let result = try await connection.run(payload: payload, total: 1, window: 1).get()
                if result.failures > 0 { failure = result.firstFailure }
                if run >= 0 { samples.add(result.elapsed) }
                // Unloaded between runs (untimed), so every load meets the same store.
                _ = try await manager.management(ManagementMessages.unload(name: name))
            }
            let encoding = entry.base64 ? "base64" : "integer array"
            let kib = Format.number(Double(bytes.count) / 1024)
            let figure = failure.map { "n/a (load failed: \($0))" }
                ?? "\(Format.millis(samples.p50)) ms p50, \(Format.millis(samples.percentile(100))) max (n=\(samples.count), \(Format.number(Double(frameSize(bytes, entry.base64)) / 1_048_576)) MiB frame)"
            report.add(Row(item: 4, metric: "`wasm_load` \(entry.label) component (\(kib) KiB), \(encoding)",
                           figure: figure, target: entry.target.map { "≤ \(Format.number($0)) ms" } ?? "—",
                           met: entry.target.map { failure == nil && samples.p50 / 1e6 <= $0 }))
        }
        await manager.close()
        try? await connection.close().get()
        // Where the time goes: the component layer's share, in this process, without the wire.
        for (file, label) in [(Guests.large100K, "100 KB"), (Guests.large1M, "1 MB")] {
            let bytes = try options.bytes(file)
            let samples = try Samples.measure(iterations: options.scaled(5, quick: 2), warmup: 1) { _ = try Component.load(bytes) }
            report.add(Row(item: 4, metric: "of which `Component.load` alone, \(label) (parse, link, validate, translate every body; in-process)",
                           figure: "\(Format.millis(samples.p50)) ms p50 (n=\(samples.count))", target: "—", met: nil))
        }
        report.note("Item 4 times one request from its first byte written to its answer, over TLS to the server process: "
            + "upload, JSON parsing, validation (every function body translated), sealing and the SQLite commit. "
            + "Integer array = the compat encoding at both levels (`{\"Data\":[…]}` around `\"bytes\":[…]`); "
            + "base64 = base64 at both levels.")
    }

    /// The frame payload of a `wasm_load`, both levels in the same encoding.
    static func loadPayload(name: String, bytes: [UInt8], base64: Bool) -> [UInt8] {
        let inner = ManagementMessages.load(name: name, bytes: bytes, base64: base64).serialized()
        if base64 {
            return JSON.object(["Data": .string(Base64.encode(inner))]).serialized()
        }
        return Request.data(inner).encoded()
    }

    private static func frameSize(_ bytes: [UInt8], _ base64: Bool) -> Int {
        loadPayload(name: "x", bytes: bytes, base64: base64).count
    }
}
