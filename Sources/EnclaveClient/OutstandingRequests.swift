import NIOCore
import NIOTLS

/// The requests a connection has sent and not yet seen answered, in order, with what each
/// answer is expected to be, and what ended the connection: the state the frame handler and the
/// HTTP adapter share. Lives in its handler, on the channel's event loop.
struct OutstandingRequests<Expected> {
    private var waiting: CircularBuffer<(response: EventLoopPromise<ReceivedResponse>, expected: Expected)> = []
    private let handshake: EventLoopPromise<Void>
    private let closedError: EnclaveClientError
    /// The first error that broke the connection; later requests fail with it at once.
    private(set) var failure: Error?

    init(handshake: EventLoopPromise<Void>, closedError: EnclaveClientError) {
        self.handshake = handshake
        self.closedError = closedError
    }

    var isEmpty: Bool { waiting.isEmpty }

    /// Queues `request` for an answer; false (and its promises failed) once the connection is
    /// broken, since answering later requests would mismatch responses.
    mutating func admit(_ request: PendingRequest, expecting expected: Expected, write: EventLoopPromise<Void>?) -> Bool {
        if let failure {
            request.response.fail(failure)
            write?.fail(failure)
            return false
        }
        waiting.append((request.response, expected))
        return true
    }

    /// The oldest request still waiting: the one the next answer belongs to.
    mutating func next() -> (response: EventLoopPromise<ReceivedResponse>, expected: Expected)? {
        waiting.popFirst()
    }

    /// Completes the handshake promise when TLS says the handshake completed.
    func noteHandshake(_ event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            handshake.succeed(())
        }
    }

    /// Records the first failure and fails everything outstanding with `error`.
    mutating func fail(_ error: Error) {
        if failure == nil { failure = error }
        failAll(error)
    }

    /// The channel went inactive: what is outstanding fails with the first failure, or as closed.
    mutating func connectionClosed() {
        failAll(failure ?? closedError)
    }

    private mutating func failAll(_ error: Error) {
        handshake.fail(error)  // no-op once succeeded
        while let (response, _) = waiting.popFirst() { response.fail(error) }
    }
}
