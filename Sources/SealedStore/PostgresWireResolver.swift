#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// The database host's addresses for the wire client (`PostgresWireSocket.connect`), found by
/// the connect's deadline.
///
/// `getaddrinfo` has no timeout of its own: a resolver that does not answer holds its caller for
/// all its retries (tens of seconds), and the thread that connects is a committing one, whose
/// writers wait. So a numeric address is parsed at once (no lookup), and a name is looked up on
/// a thread of its own while the caller waits only until the deadline; a lookup that outlives it
/// is abandoned (its thread finishes later and frees the answer). At most `maxPendingLookups`
/// abandoned or running lookups exist at once, so a dead resolver cannot pile up threads.
enum PostgresWireResolver {
    /// One address to try: what `socket()` and `connect()` take.
    struct Address: Sendable {
        var family: Int32
        var socketType: Int32
        var protocolNumber: Int32
        /// The `sockaddr`'s bytes.
        var bytes: [UInt8]
    }

    /// Most name lookups running at once (those abandoned by a caller whose deadline passed
    /// count until they end).
    static let maxPendingLookups = 4

    /// A name lookup: the addresses, or the resolver's reason.
    typealias Lookup = @Sendable (_ host: String, _ port: Int) -> Result<[Address], LookupFailure>

    struct LookupFailure: Error { let text: String }

    private static let pending = Atomic<Int>(0)

    /// Name lookups running now (abandoned ones included).
    static var pendingLookups: Int { pending.load(ordering: .relaxed) }

    /// `host`'s addresses for `port`, in the resolver's order.
    /// - Parameter lookup: how a name is looked up (`getaddrinfo`; tests pass a slow one).
    /// - Throws: why there are none: the resolver's answer, the deadline, or too many lookups
    ///   already pending.
    static func resolve(host: String, port: Int, deadline: PostgresWireDeadline,
                        lookup: @escaping Lookup = { host, port in systemLookup(host, port, numericOnly: false) })
        throws(LookupFailure) -> [Address] {
        if case .success(let addresses) = systemLookup(host, port, numericOnly: true) { return addresses }
        guard deadline.remainingMilliseconds > 0 else {
            throw LookupFailure(text: "no time was left to look up \(host) (the deadline had passed)")
        }
        guard pending.wrappingAdd(1, ordering: .relaxed).newValue <= maxPendingLookups else {
            pending.wrappingSubtract(1, ordering: .relaxed)
            throw LookupFailure(text: "\(maxPendingLookups) lookups of the database's host name are still pending "
                                    + "(the resolver does not answer); an IP address in the URL needs none")
        }
        let answer = Answer()
        Thread.detachNewThread {
            defer { pending.wrappingSubtract(1, ordering: .relaxed) }
            answer.result.withLock { $0 = lookup(host, port) }
            answer.done.signal()
        }
        guard answer.done.wait(timeout: DispatchTime(uptimeNanoseconds: deadline.uptimeNanoseconds)) == .success,
              let result = answer.result.withLock({ $0 }) else {
            throw LookupFailure(text: "no answer from the resolver for \(host) within the deadline")
        }
        return try result.get()
    }

    /// Where the lookup thread leaves its answer.
    private final class Answer: Sendable {
        let result = Mutex<Result<[Address], LookupFailure>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    /// `getaddrinfo` for stream sockets; with `numericOnly`, only a numeric address is parsed
    /// (`AI_NUMERICHOST`: no resolver is asked).
    static func systemLookup(_ host: String, _ port: Int, numericOnly: Bool) -> Result<[Address], LookupFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamSocketType
        hints.ai_flags = numericOnly ? AI_NUMERICHOST : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(LookupFailure(text: "cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(first) }
        var addresses: [Address] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next?.pointee {
            next = entry.ai_next
            guard let address = entry.ai_addr else { continue }
            addresses.append(Address(family: entry.ai_family, socketType: entry.ai_socktype, protocolNumber: entry.ai_protocol,
                                     bytes: Array(UnsafeRawBufferPointer(start: address, count: Int(entry.ai_addrlen)))))
        }
        return .success(addresses)
    }
}

#if canImport(Glibc)
private let streamSocketType = Int32(SOCK_STREAM.rawValue)
#else
private let streamSocketType = SOCK_STREAM
#endif
