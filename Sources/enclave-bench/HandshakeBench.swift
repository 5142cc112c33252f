import Foundation
import NIOCore
import NIOPosix

/// Item 8: full TLS 1.3 handshakes per second against the server's RA-TLS listener in
/// deterministic mode (no SNI, no challenge nonce: the default attested certificate), no
/// session resumption.
enum HandshakeBench {
    static func run(_ options: Options, report: Report) async throws {
        let server = try ServerProcess.launch(label: "handshakes")
        defer { server.stop() }
        let group = PipelinedConnection.clientGroup
        let context = try PipelinedConnection.makeContext()
        let seconds = options.quick ? 1.0 : 3.0
        let concurrency = 4
        let port = server.port

        // Warm-up, then `concurrency` loops of connect + handshake + close for `seconds`.
        for _ in 0..<20 {
            try await PipelinedConnection.connect(port: server.port, context: context, group: group).get().close().get()
        }
        let deadline = now() + UInt64(seconds * 1e9)
        let start = now()
        let counts = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for _ in 0..<concurrency {
                tasks.addTask {
                    var done = 0
                    while now() < deadline {
                        let connection = try await PipelinedConnection.connect(port: port, context: context, group: group).get()
                        done += 1
                        try? await connection.close().get()
                    }
                    return done
                }
            }
            return try await tasks.reduce(0, +)
        }
        let rate = Double(counts) / (Double(now() - start) / 1e9)
        report.add(Row(item: 8, metric: "RA-TLS handshakes/s (deterministic certificate, P-256, TLS 1.3, no resumption, \(concurrency) at a time)",
                       figure: "\(Format.number(rate))/s (\(counts) in \(Format.number(seconds)) s)",
                       target: "≥ 1,500/s", met: rate >= 1_500))
        report.note("Items 2, 3, 7 and 8 run the client in this process and the server in a child process on the same "
            + "2-core machine: the client's TLS work competes with the server's.")
    }
}
