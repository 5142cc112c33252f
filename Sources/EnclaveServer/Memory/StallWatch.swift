import NIOCore

/// Tells a peer that stopped sending from a read held back by our own backpressure, for a
/// request that holds memory budget (the frame decoder's body, the HTTP handler's body): a
/// check finds the peer stalled only when no byte arrived since the last check although a read
/// was asked of the socket. Lives in its handler, on the channel's event loop.
struct StallWatch {
    /// Whether bytes arrived since the period began, and whether a read was asked of the socket
    /// since the last one was delivered.
    private var progressed = false
    private var readForwarded = false

    /// Bytes of the watched request arrived.
    mutating func bytesArrived() { progressed = true }

    /// A read from the socket was delivered to the handler.
    mutating func readDelivered() { readForwarded = false }

    /// The handler passed a read on to the socket.
    mutating func readRequested() { readForwarded = true }

    /// At the end of a period: whether the peer stalled (otherwise a new period begins).
    var peerStalled: Bool { !progressed && readForwarded }

    /// Begins a period of `timeout`; `check` runs on `handler` when it ends, unless the returned
    /// task is cancelled first.
    mutating func arm<Handler>(_ handler: Handler, context: ChannelHandlerContext, timeout: TimeAmount,
                               check: @escaping (Handler, ChannelHandlerContext) -> Void) -> Scheduled<Void> {
        progressed = false
        let bound = NIOLoopBound((handler, context, check), eventLoop: context.eventLoop)
        return context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context, check) = bound.value
            check(handler, context)
        }
    }
}
