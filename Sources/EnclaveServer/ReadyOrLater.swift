import NIOCore

/// A value computed on the event loop before the call that asked for it returned, or one that
/// comes later on a future. The transports answer the common requests (`Ping`, a short call that
/// runs inline) at once, without the futures and callbacks that a chain of `flatMap`s allocates
/// per request.
enum ReadyOrLater<Value: Sendable> {
    case ready(Value)
    case later(EventLoopFuture<Value>)

    /// The value as a future on `eventLoop`, whichever it is.
    func future(on eventLoop: EventLoop) -> EventLoopFuture<Value> {
        switch self {
        case .ready(let value): return eventLoop.makeSucceededFuture(value)
        case .later(let future): return future
        }
    }

    /// `transform` applied to the value, now or when it comes.
    func map<New: Sendable>(_ transform: @escaping @Sendable (Value) -> New) -> ReadyOrLater<New> {
        switch self {
        case .ready(let value): return .ready(transform(value))
        case .later(let future): return .later(future.map(transform))
        }
    }
}
