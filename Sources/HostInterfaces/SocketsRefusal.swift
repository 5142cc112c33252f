import Components

/// `wasi:sockets/*@0.2.0`, refused as a whole: apps reach the network only through
/// `privasys:enclave-os/https` (TLS inside the TEE). Runtimes such as componentize-py's CPython
/// import wasi:sockets whether or not the app uses it, so the interfaces are linkable, and every
/// call fails the way a sandbox without network would:
/// - `instance-network` returns a network handle (it carries no capability: nothing accepts it);
/// - a function returning `result<_, error-code>` answers `err(access-denied)` (so
///   `create-tcp-socket`, `create-udp-socket` and `resolve-addresses` never produce a socket);
/// - anything else (a method on a socket, which cannot exist) traps with the reason.
enum SocketsRefusal {
    static let interfaces = [
        "wasi:sockets/network@0.2.0", "wasi:sockets/instance-network@0.2.0", "wasi:sockets/tcp@0.2.0",
        "wasi:sockets/tcp-create-socket@0.2.0", "wasi:sockets/udp@0.2.0", "wasi:sockets/udp-create-socket@0.2.0",
        "wasi:sockets/ip-name-lookup@0.2.0",
    ]
    static let resources = [
        "wasi:sockets/network@0.2.0#network", "wasi:sockets/tcp@0.2.0#tcp-socket",
        "wasi:sockets/udp@0.2.0#udp-socket", "wasi:sockets/udp@0.2.0#incoming-datagram-stream",
        "wasi:sockets/udp@0.2.0#outgoing-datagram-stream", "wasi:sockets/ip-name-lookup@0.2.0#resolve-address-stream",
    ]
    static let reason = "wasi:sockets: network sockets are not available to EnclaveOS apps; use privasys:enclave-os/https"

    /// Adds the refusing interfaces and their resource types to `imports`.
    static func register(into imports: inout HostImports) {
        for resource in resources {
            imports.define(resource: resource) { _, _ in }
        }
        for interface in interfaces {
            imports.define(instance: interface, fallback: HostFunction(binding: { refusal(for: $0) }))
        }
    }

    /// The implementation for a function declared with `type`.
    static func refusal(for type: WITFunctionType) -> HostFunction {
        if type.params.isEmpty, type.results.count == 1, case .own(let resource) = type.results[0].type,
           resource.hasSuffix("#network") {
            return HostFunction { _ in [.handle(0)] }
        }
        if type.results.count == 1, case .result(_, .enum(_, let cases)?) = type.results[0].type,
           let denied = cases.firstIndex(of: "access-denied") {
            return HostFunction { _ in [.result(isError: true, payload: .enum(caseIndex: denied))] }
        }
        return HostFunction { _ in throw ComponentError.trap(reason) }
    }
}
