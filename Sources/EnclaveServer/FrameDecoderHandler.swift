import EnclaveProtocol
import NIOCore

/// What the frame decoder passes on: a request payload, or the news that the stream broke.
enum InboundFrame: Sendable {
    /// One complete frame payload, and the bytes it holds of the server's request budget
    /// (released once its response has been written).
    case request([UInt8], reservedBytes: Int)
    /// A header declared more than the limit; the stream position is lost and the connection
    /// must be answered with an `Error` and closed (docs/protocol.md §1–2, improve: the original stalled).
    case oversized(FrameError)
    /// A frame body stopped arriving while it held budget: answered with an `Error`, closed.
    case stalled(String)
}

/// Splits the decrypted byte stream into frames, however TLS records cut it, within the
/// server-wide request budget.
///
/// The length is checked as soon as the 4 header bytes arrive, so an oversized frame is refused
/// before any of its body is buffered. A body is read into one array of exactly the declared
/// length, after the length has been reserved in the `RequestMemoryBudget`; while the budget is
/// spent, this connection stops reading (its bytes stay in the kernel) until it is its turn.
/// A body that stops arriving for `stallTimeout` while it holds budget ends the connection, so
/// clients that announce large frames and then go quiet cannot keep the budget from others; so
/// does a frame begun and left unfinished (part of a header, part of a small body), which would
/// otherwise hold the connection open for ever.
final class FrameDecoderHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = InboundFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var reader = FrameReader()
    private let budget: RequestMemoryBudget
    private let stallTimeout: TimeAmount
    /// Bytes that arrived after a header while its frame waits for budget (at most one read).
    private var held: ByteBuffer?
    private var ticket: RequestMemoryBudget.Ticket?
    private var awaitingGrant = false
    private var readHeld = false
    /// Budget reserved for the frame being read.
    private var reserved = 0
    private var broken = false
    private var stallCheck: Scheduled<Void>?
    /// A read held back by the request queue is not the client's stall.
    private var stall = StallWatch()

    init(budget: RequestMemoryBudget, stallTimeout: TimeAmount) {
        self.budget = budget
        self.stallTimeout = stallTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !broken else { return }  // after an oversized header the rest is noise
        var buffer = unwrapInboundIn(data)
        stall.readDelivered()
        if awaitingGrant {
            held.setOrWriteBuffer(&buffer)
            return
        }
        process(&buffer, context: context)
        if !broken, stallCheck == nil, !awaitingGrant, reserved > 0 || reader.partialHeaderBytes > 0 {
            scheduleStallCheck(context: context)
        }
    }

    private func process(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) {
        while true {
            let result = buffer.withUnsafeReadableBytes { bytes in
                Result { () throws(FrameError) in try reader.consume(bytes) }
            }
            let step: (consumed: Int, event: FrameReader.Event?)
            switch result {
            case .success(let value): step = value
            case .failure(let error):
                breakStream(context: context, .oversized(error))
                return
            }
            buffer.moveReaderIndex(forwardBy: step.consumed)
            if step.consumed > 0 { stall.bytesArrived() }
            switch step.event {
            case nil:
                return
            case .header(let length)?:
                guard admit(length, context: context) else {
                    if buffer.readableBytes > 0 { held = buffer }
                    return
                }
            case .frame(let payload)?:
                let bytes = reserved
                reserved = 0
                stallCheck?.cancel()
                stallCheck = nil
                context.fireChannelRead(wrapInboundOut(.request(payload, reservedBytes: bytes)))
                guard !broken else { return }
            }
        }
    }

    /// Reserves budget for a body of `length` bytes; false when the frame must wait its turn.
    private func admit(_ length: Int, context: ChannelHandlerContext) -> Bool {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let outcome = budget.reserve(length) {
            loop.execute {
                let (handler, context) = bound.value
                handler.granted(length, context: context)
            }
        }
        switch outcome {
        case .reserved:
            startBody(length, context: context)
            return true
        case .queued(let queued):
            ticket = queued
            awaitingGrant = true
            return false
        }
    }

    private func startBody(_ length: Int, context: ChannelHandlerContext) {
        reserved = length
        reader.startBody()
        if length > RequestMemoryBudget.smallFrameLimit { scheduleStallCheck(context: context) }
    }

    /// The budget admitted the waiting frame: read on, starting with the bytes held back.
    private func granted(_ length: Int, context: ChannelHandlerContext) {
        ticket = nil
        guard !broken else {
            budget.release(length)
            return
        }
        awaitingGrant = false
        startBody(length, context: context)
        if var pending = held {
            held = nil
            process(&pending, context: context)
        }
        if readHeld, !awaitingGrant, !broken {
            readHeld = false
            forwardRead(context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if awaitingGrant {
            readHeld = true  // backpressure: leave the bytes in the kernel until our turn
        } else {
            forwardRead(context: context)
        }
    }

    private func forwardRead(context: ChannelHandlerContext) {
        stall.readRequested()
        context.read()
    }

    private func scheduleStallCheck(context: ChannelHandlerContext) {
        stallCheck?.cancel()
        stallCheck = stall.arm(self, context: context, timeout: stallTimeout) { $0.checkStall(context: $1) }
    }

    private func checkStall(context: ChannelHandlerContext) {
        let headerBytes = reader.partialHeaderBytes
        guard !broken, reserved > 0 || headerBytes > 0 else {
            stallCheck = nil
            return
        }
        if !stall.peerStalled {
            scheduleStallCheck(context: context)
            return
        }
        let seconds = stallTimeout.nanoseconds / 1_000_000_000
        let what = reserved > 0
            ? "frame body stalled: \(reader.bufferedByteCount) of \(reserved) bytes arrived"
            : "frame header stalled: \(headerBytes) of 4 bytes arrived"
        breakStream(context: context, .stalled("\(what), then nothing for \(seconds) s; closing"))
    }

    /// Gives up on the stream: releases what it held and tells the request handler.
    private func breakStream(context: ChannelHandlerContext, _ event: InboundFrame) {
        releaseEverything()
        context.fireChannelRead(wrapInboundOut(event))
    }

    private func releaseEverything() {
        broken = true
        if let ticket, budget.cancel(ticket) { self.ticket = nil }  // else `granted` releases it
        budget.release(reserved)
        reserved = 0
        held = nil
        reader = FrameReader()  // drops a partial body
        stallCheck?.cancel()
        stallCheck = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        releaseEverything()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        releaseEverything()
    }
}
