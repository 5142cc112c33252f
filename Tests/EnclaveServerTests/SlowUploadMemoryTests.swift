import EnclaveProtocol
import Foundation
import NIOCore
import NIOPosix
import XCTest

/// 200 clients each announce a 15 MiB frame and send its body slowly, against the real
/// `enclave-os` binary over real sockets: the server's resident memory stays under its request
/// budget plus a stated overhead, other clients are served meanwhile, and the memory is given
/// back once the clients are gone.
final class SlowUploadMemoryTests: XCTestCase {
    static let connections = 200
    static let frameBytes = 15 << 20
    /// Body bytes each client pushes: 200 MiB in all, which the server would hold without a budget.
    static let bodyBytesSent = 1 << 20
    static let budgetMiB = 64
    /// What the server needs beyond the budget: its own baseline is measured, and on top of it
    /// 200 TLS connections' buffers and the bytes read before a connection learns it must wait
    /// (at most one read each). Stated, not tuned: 48 MiB.
    static let overheadBytes = 48 << 20

    func testTwoHundredSlowLargeFramesStayWithinTheBudget() async throws {
        #if !os(Linux)
        throw XCTSkip("reads the server's resident set size from /proc")
        #else
        let dataDirectory = try ServerHarness.makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let server = try await EnclaveOSProcess.start(dataDirectory: dataDirectory,
                                                      arguments: ["--max-buffered-request-mib", "\(Self.budgetMiB)"])
        defer { server.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

        let probe = try await server.connect(group: group)
        let pong = try await probe.request(#""Ping""#)
        XCTAssertEqual(pong, .pong)
        let baseline = try XCTUnwrap(server.residentBytes)

        var clients: [RawTLSClient] = []
        for _ in 0..<Self.connections { clients.append(try await server.connect(group: group)) }
        var header: [UInt8] = []
        Frame.appendHeader(length: Self.frameBytes, to: &header)
        let piece = [UInt8](repeating: UInt8(ascii: " "), count: 256 << 10)
        for client in clients {
            // Not awaited: the writes of clients that wait for budget stay pending in the kernel.
            var buffer = client.channel.allocator.buffer(capacity: header.count)
            buffer.writeBytes(header)
            client.channel.writeAndFlush(buffer, promise: nil)
        }
        var peak = 0
        for _ in 0..<(Self.bodyBytesSent / piece.count) {
            for client in clients {
                var buffer = client.channel.allocator.buffer(capacity: piece.count)
                buffer.writeBytes(piece)
                client.channel.writeAndFlush(buffer, promise: nil)
            }
            try await Task.sleep(nanoseconds: 200_000_000)
            peak = max(peak, server.residentBytes ?? 0)
        }
        for _ in 0..<10 {
            try await Task.sleep(nanoseconds: 200_000_000)
            peak = max(peak, server.residentBytes ?? 0)
        }
        // Others are served while the budget is spent.
        let bystander = try await server.connect(group: group)
        let answer = try await bystander.request(#""Ping""#)
        XCTAssertEqual(answer, .pong)
        let bound = baseline + (Self.budgetMiB << 20) + Self.overheadBytes
        XCTAssertLessThan(peak, bound, "peak RSS \(peak >> 20) MiB over baseline \(baseline >> 20) MiB + budget \(Self.budgetMiB) MiB + 48 MiB")

        // All at once: each TLS close waits (up to its timeout) for a close_notify that a
        // connection the server is not reading never answers.
        for client in clients + [bystander] { client.channel.close(promise: nil) }
        for client in clients + [bystander] { try? await client.channel.closeFuture.get() }
        var after = Int.max
        for _ in 0..<50 {
            try await Task.sleep(nanoseconds: 200_000_000)
            after = server.residentBytes ?? after
            if after < baseline + (32 << 20) { break }
        }
        XCTAssertLessThan(after, baseline + (32 << 20), "RSS stayed at \(after >> 20) MiB after the clients left (baseline \(baseline >> 20) MiB)")
        print("slow uploads: baseline \(baseline >> 20) MiB, peak \(peak >> 20) MiB, after \(after >> 20) MiB")
        await probe.close()
        try? await group.shutdownGracefully()
        #endif
    }
}
