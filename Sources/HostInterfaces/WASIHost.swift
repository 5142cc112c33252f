import Components

/// The WASI 0.2 host of wit/ and docs/sdk.md: registers every interface we provide into a `HostImports`.
///
/// Per-call state lives in a `WASISession` that the server creates for each call and passes as
/// `Component.call(…, session:)`; every host function receives it typed
/// (`HostFunction(session:missing:_:)`).
/// After the call the server must call `session.finish()` (it persists dirty files and flushes
/// output for handles the guest still held: the component layer does not run destructors then).
public enum WASIHost {
    /// Every interface, in WIT order (`wit/world.wit`).
    public static let interfaces: [WASIInterface] = [
        RandomInterface.interface, InsecureRandomInterface.interface, InsecureSeedInterface.interface,
        WallClockInterface.interface, MonotonicClockInterface.interface,
        IOErrorInterface.interface, PollInterface.interface, StreamsInterface.interface,
        FilesystemTypesInterface.interface, PreopensInterface.interface,
        CLIEnvironmentInterface.interface, CLIExitInterface.interface,
        CLIStdioInterfaces.stdin, CLIStdioInterfaces.stdout, CLIStdioInterfaces.stderr,
    ] + CLITerminalInterfaces.all

    /// Adds every WASI function and resource type to `imports`, and `wasi:sockets` refused as a
    /// whole (`SocketsRefusal`).
    public static func register(into imports: inout HostImports) {
        SocketsRefusal.register(into: &imports)
        for interface in interfaces {
            for (name, function) in interface.functions {
                let streams = interface.name == StreamsInterface.interface.name
                imports.define(instance: interface.name, function: name, HostFunction(session: WASISession.self, missing: noSession) {
                    session, context, arguments in
                    // Work the values do not show is charged before it is done.
                    if streams, let bytes = StreamsInterface.unseenWork(of: name, arguments) {
                        try context.chargeHostWork(bytes: bytes)
                    }
                    return try run { try function(session, arguments) }
                })
            }
            for (resource, destructor) in interface.resources {
                imports.define(instance: interface.name, resource: resource, session: WASISession.self, missing: noSession) { session, rep in
                    try run { try destructor(session, rep) }
                }
            }
        }
    }

    /// A registry with WASI only (what a server without other host interfaces uses).
    public static var imports: HostImports {
        var imports = HostImports()
        register(into: &imports)
        return imports
    }

    /// The trap of a call (or instantiation) that reaches a WASI or SDK function without a
    /// `WASISession` (a host that called or instantiated the component with none).
    static let noSession = ComponentError.trap("wasi: no WASI session was given to this call or instantiation")

    /// Turns host faults into traps whose reason the client sees; `ComponentError`s pass.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ComponentError {
            throw error
        } catch let fault as WASIHostFault {
            throw ComponentError.trap(fault.description)
        } catch {
            throw ComponentError.trap("wasi: \(error)")
        }
    }
}
