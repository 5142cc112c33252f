import EnclaveServer
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import XCTest

/// A swift-log handler that keeps every entry (level, message, metadata) for a test to inspect.
struct CapturingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    /// The entries of every handler made from one store, from any thread.
    final class Store: @unchecked Sendable {
        // @unchecked: `entries` is only touched under `lock`.
        private let lock = NSLock()
        private var entries: [Entry] = []

        func append(_ entry: Entry) { lock.withLock { entries.append(entry) } }
        var all: [Entry] { lock.withLock { entries } }

        /// The first entry whose message starts with `prefix`, waiting up to 10 s for it (a
        /// call's line is written after its answer).
        func first(_ prefix: String, where matches: (Entry) -> Bool = { _ in true }) async throws -> Entry {
            for _ in 0..<500 {
                if let entry = all.first(where: { $0.message.hasPrefix(prefix) && matches($0) }) { return entry }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            throw Missing(prefix: prefix, seen: all.map(\.message))
        }

        struct Missing: Error, CustomStringConvertible {
            var prefix: String
            var seen: [String]
            var description: String { "no log entry starting with '\(prefix)' among:\n" + seen.joined(separator: "\n") }
        }
    }

    let store: Store
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        store.append(Entry(level: event.level, message: event.message.description,
                           metadata: fields.mapValues { "\($0)" }))
    }

    /// A logger at `level` writing into `store`.
    static func logger(_ store: Store, level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "test") { _ in CapturingLogHandler(store: store) }
        logger.logLevel = level
        return logger
    }
}

/// Prometheus text exposition as `series → value` (`name{labels}` as the server writes it).
enum PrometheusText {
    static func parse(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }
}

/// Writes `bytes` to a plain TCP connection and reads until the peer closes it (or 10 s pass).
enum PlainTCP {
    static func exchange(_ bytes: [UInt8], with address: SocketAddress, group: EventLoopGroup) async throws -> [UInt8] {
        let received = Received()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Reader(received: received))
                }
            }
            .connect(to: address).get()
        do {
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        } catch ChannelError.ioOnClosedChannel {
            // The server closed the connection first (a refused connection): nothing was served.
            return received.bytes
        }
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        try await channel.closeFuture.get()
        deadline.cancel()
        return received.bytes
    }

    private final class Received: Sendable {
        private let stored = Mutex<[UInt8]>([])
        func append(_ more: [UInt8]) { stored.withLock { $0 += more } }
        var bytes: [UInt8] { stored.withLock { $0 } }
    }

    private final class Reader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: Received
        init(received: Received) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            received.append(bytes)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}
