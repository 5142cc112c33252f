/// Per-call host state: what a host hands to `Component.call(_:_:limits:session:control:)` so
/// that the host functions that call reaches can find it (open files, streams, output buffers).
///
/// A session belongs to one call on one thread. Conforming types are usually not `Sendable`,
/// and need not be: the compiler then keeps a session on the thread that made it. Only the
/// session's *type* crosses threads (`SendableMetatype`): the `@Sendable` host functions name
/// it to find their session.
///
/// Host functions receive their session typed: register them with
/// `HostFunction(session:missing:_:)` and
/// `HostImports.define(instance:resource:session:missing:destructor:)`,
/// which hand the body the host's own session type.
public protocol CallSession: AnyObject, SendableMetatype {}

extension HostCallContext {
    /// The call's session as the type `Session` a host registered its functions for; nil when
    /// the call was given no session or one of another host.
    ///
    /// This is the one checked conversion between the component layer and a host's session
    /// type. The alternative, a session type parameter on `HostCallContext`, would make
    /// `HostFunction`, `HostImports`, the link plan, `Component` and the closures the linker
    /// hands WasmKit generic over it, for every host and every component. Inlined into the
    /// host's module, the conversion is specialised to the concrete class: for a `final` session
    /// class, one comparison of its type pointer per host call.
    @inlinable
    func session<Session: CallSession>(as type: Session.Type) -> Session? {
        session as? Session
    }
}

extension HostFunction {
    /// A host function over the call's session of type `Session` (e.g. the WASI host's
    /// `WASISession`). A call given no such session fails with `missing` (a trap naming the
    /// host, say) instead of reaching `body`.
    @inlinable
    public init<Session: CallSession>(session type: Session.Type, missing: ComponentError,
                                      _ body: @escaping @Sendable (Session, HostCallContext, [ComponentValue]) throws -> [ComponentValue]) {
        self.init { context, arguments in
            guard let session = context.session(as: type) else { throw missing }
            return try body(session, context, arguments)
        }
    }
}

extension HostImports {
    /// Registers a host resource type of an interface whose destructor needs the call's
    /// session of type `Session` (see `HostFunction(session:missing:_:)`).
    @inlinable
    public mutating func define<Session: CallSession>(instance: String, resource: String, session type: Session.Type, missing: ComponentError,
                                                      destructor: @escaping @Sendable (Session, UInt32) throws -> Void) {
        define(instance: instance, resource: resource) { context, rep in
            guard let session = context.session(as: type) else { throw missing }
            try destructor(session, rep)
        }
    }
}
