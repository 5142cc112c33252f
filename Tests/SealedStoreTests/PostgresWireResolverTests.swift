import Foundation
import Synchronization
import XCTest
@testable import SealedStore

/// The wire client's host lookup (`PostgresWireResolver`): numeric addresses need no resolver,
/// a name is found through the system's resolver, and a resolver that does not answer costs a
/// connect no more than its deadline, and cannot pile up threads.
final class PostgresWireResolverTests: XCTestCase {
    /// A lookup that answers after `seconds` (a resolver that does not answer in time).
    private static func slowLookup(_ seconds: Double) -> PostgresWireResolver.Lookup {
        { host, port in
            Thread.sleep(forTimeInterval: seconds)
            return PostgresWireResolver.systemLookup("127.0.0.1", port, numericOnly: true)
        }
    }

    private func waitForNoPendingLookups() {
        let until = Date().addingTimeInterval(10)
        while PostgresWireResolver.pendingLookups > 0, Date() < until { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertEqual(PostgresWireResolver.pendingLookups, 0, "lookups still pending after 10 s")
    }

    func testANumericAddressIsParsedWithoutAskingTheResolver() throws {
        let asked = Mutex(false)
        let addresses = try PostgresWireResolver.resolve(host: "127.0.0.1", port: 5432, deadline: .init(fromNow: 1_000_000_000)) { _, _ in
            asked.withLock { $0 = true }
            return .failure(.init(text: "asked"))
        }
        XCTAssertFalse(asked.withLock { $0 })
        XCTAssertEqual(addresses.map(\.family), [Int32(AF_INET)])
        let v6 = try PostgresWireResolver.resolve(host: "::1", port: 5432, deadline: .init(fromNow: 1_000_000_000))
        XCTAssertEqual(v6.map(\.family), [Int32(AF_INET6)])
    }

    /// `localhost` goes through the system's resolver (on its own thread), and the socket
    /// connects to what it answered: a scripted server on loopback.
    func testANameIsLookedUpAndConnectedTo() throws {
        let port = try PostgresWireHostileServerTests.serve([])
        let socket = try PostgresWireSocket.connect(host: "localhost", port: port, deadline: .init(fromNow: 5_000_000_000),
                                                    operation: "connect")
        XCTAssertFalse(socket.isClosed)
        socket.close()
        // The resolver's refusal, named (asked for a numeric address only: no name server is
        // involved, so the test does not depend on this machine's DNS).
        guard case .failure(let failure) = PostgresWireResolver.systemLookup("no-such-host.invalid", 1, numericOnly: true) else {
            return XCTFail("a name parsed as a numeric address")
        }
        XCTAssertTrue(failure.text.hasPrefix("cannot resolve no-such-host.invalid: "), failure.text)
        // A deadline already past starts no lookup.
        XCTAssertThrowsError(try PostgresWireResolver.resolve(host: "db.example", port: 1, deadline: .init(fromNow: 0),
                                                              lookup: Self.slowLookup(0))) {
            XCTAssertTrue(($0 as? PostgresWireResolver.LookupFailure)?.text.contains("the deadline had passed") == true, "\($0)")
        }
        XCTAssertEqual(PostgresWireResolver.pendingLookups, 0)
    }

    func testAResolverThatDoesNotAnswerCostsNoMoreThanTheDeadline() throws {
        waitForNoPendingLookups()
        let start = Date()
        XCTAssertThrowsError(try PostgresWireResolver.resolve(host: "db.example", port: 5432, deadline: .init(fromNow: 200_000_000),
                                                              lookup: Self.slowLookup(3))) {
            XCTAssertEqual(($0 as? PostgresWireResolver.LookupFailure)?.text, "no answer from the resolver for db.example within the deadline")
        }
        let waited = Date().timeIntervalSince(start)
        XCTAssertGreaterThanOrEqual(waited, 0.19)
        XCTAssertLessThan(waited, 2, "the caller waited for the lookup, not the deadline")
        XCTAssertEqual(PostgresWireResolver.pendingLookups, 1, "the abandoned lookup still counts until it ends")
        // An answer in time is used.
        let found = try PostgresWireResolver.resolve(host: "db.example", port: 5432, deadline: .init(fromNow: 5_000_000_000),
                                                     lookup: Self.slowLookup(0.05))
        XCTAssertEqual(found.count, 1)
        waitForNoPendingLookups()
    }

    func testAbandonedLookupsAreCapped() throws {
        waitForNoPendingLookups()
        for _ in 0..<PostgresWireResolver.maxPendingLookups {
            XCTAssertThrowsError(try PostgresWireResolver.resolve(host: "db.example", port: 5432, deadline: .init(fromNow: 20_000_000),
                                                                  lookup: Self.slowLookup(1.5)))
        }
        let start = Date()
        XCTAssertThrowsError(try PostgresWireResolver.resolve(host: "db.example", port: 5432, deadline: .init(fromNow: 5_000_000_000),
                                                              lookup: Self.slowLookup(0))) {
            XCTAssertTrue(($0 as? PostgresWireResolver.LookupFailure)?.text.contains("4 lookups of the database's host name are still pending") == true,
                          "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5, "a capped lookup waited")
        waitForNoPendingLookups()
        // Once they ended, lookups run again.
        XCTAssertEqual(try PostgresWireResolver.resolve(host: "db.example", port: 5432, deadline: .init(fromNow: 5_000_000_000),
                                                        lookup: Self.slowLookup(0)).count, 1)
    }
}
