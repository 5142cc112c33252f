import Foundation
import NIOCore
import PostgresNIO
import XCTest
@testable import SealedStore

/// The commit's own PostgreSQL client (`PostgresWireConnection`, `PostgresCommitConnection`)
/// against the real private PostgreSQL: each authentication method, the database's errors with
/// their SQLSTATE, a backend terminated mid-session, and a statement past its deadline.
final class PostgresWireConnectionTests: XCTestCase {
    private static let connectTimeout: Int64 = 10_000_000_000
    private static let statementTimeout: Int64 = 10_000_000_000

    private func url(_ role: (user: String, password: String)? = nil) throws -> PostgresURL {
        var url = try PostgresURL(parsing: PrivatePostgres.url())
        if let role { (url.username, url.password) = (role.user, role.password) }
        return url
    }

    private func connect(_ url: PostgresURL) throws -> PostgresWireConnection {
        try PostgresWireConnection.connect(url, settings: [("statement_timeout", "60000")], timeout: Self.connectTimeout)
    }

    /// `current_user` and a bytea and a bigint parameter echoed back, twice (the second run
    /// reuses the prepared statement).
    private func assertRoundTrip(_ connection: PostgresWireConnection, user: String, file: StaticString = #filePath,
                                 line: UInt = #line) throws {
        let sql = "SELECT $1::bytea, $2::int8, current_user::text"
        let parameters = [PostgresBinaryParameter.bytes([0, 1, 255]), PostgresBinaryParameter(PostgresData(int64: 0x0102_0304_0506_0708))]
        for _ in 0..<2 {
            let rows = try connection.run(sql, parameters, timeout: Self.statementTimeout, operation: "echo")
            XCTAssertEqual(rows.count, 1, file: file, line: line)
            XCTAssertEqual(rows.first?[0], [0, 1, 255], file: file, line: line)
            XCTAssertEqual(rows.first?[1], [1, 2, 3, 4, 5, 6, 7, 8], file: file, line: line)
            XCTAssertEqual(rows.first?[2].map { String(decoding: $0, as: UTF8.self) }, user, file: file, line: line)
        }
    }

    func testTrustLoginRunsStatementsWithBinaryParametersAndResults() throws {
        let connection = try connect(url())
        defer { connection.close() }
        try assertRoundTrip(connection, user: "postgres")
        let empty = try connection.run("SELECT 1 WHERE false", [], timeout: Self.statementTimeout, operation: "no rows")
        XCTAssertTrue(empty.isEmpty)
        let null = try connection.run("SELECT NULL::bytea", [], timeout: Self.statementTimeout, operation: "null")
        XCTAssertEqual(null.count, 1)
        XCTAssertEqual(null.first?.count, 1)
        XCTAssertNil(null.first?[0] ?? nil)
    }

    func testSCRAMLogin() throws {
        let role = try PrivatePostgres.passwordRole("scram-sha-256")
        let connection = try waitForPasswordLogin(url(role))
        defer { connection.close() }
        try assertRoundTrip(connection, user: role.user)
    }

    func testMD5Login() throws {
        let role = try PrivatePostgres.passwordRole("md5")
        let connection = try waitForPasswordLogin(url(role))
        defer { connection.close() }
        try assertRoundTrip(connection, user: role.user)
    }

    func testAWrongPasswordIsAClearError() throws {
        for method in ["scram-sha-256", "md5"] {
            let role = try PrivatePostgres.passwordRole(method)
            try waitForPasswordLogin(url(role)).close()
            XCTAssertThrowsError(try connect(url((role.user, "wrong")))) { error in
                XCTAssertTrue("\(error)".contains("password authentication failed"), "\(method): \(error)")
                XCTAssertTrue("\(error)".contains("28P01"), "\(method): \(error)")
            }
            var noPassword = try url(role)
            noPassword.password = nil
            XCTAssertThrowsError(try connect(noPassword)) { error in
                XCTAssertTrue("\(error)".contains("asks for a password"), "\(method): \(error)")
            }
        }
    }

    /// The pg_hba.conf reload takes effect for new connections shortly after it was asked for.
    private func waitForPasswordLogin(_ url: PostgresURL) throws -> PostgresWireConnection {
        var noPassword = url
        noPassword.password = nil
        try waitUntil("the server asks \(url.username) for a password") {
            do {
                try connect(noPassword).close()
                return false
            } catch {
                return "\(error)".contains("asks for a password")
            }
        }
        return try connect(url)
    }

    func testTheDatabasesErrorCarriesItsSQLStateAndKeepsTheConnection() throws {
        let connection = try connect(url())
        defer { connection.close() }
        for _ in 0..<2 {
            XCTAssertThrowsError(try connection.run("SELECT 1 / $1::int4", [PostgresBinaryParameter(PostgresData(int32: 0))], timeout: Self.statementTimeout,
                                                    operation: "divide")) { error in
                XCTAssertEqual(PostgresPool.sqlState(of: error), "22012", "\(error)")
                XCTAssertTrue(PostgresPool.describe(error).contains("division by zero"), "\(error)")
                XCTAssertEqual((error as? PostgresWireError)?.mayHaveBeenSent, true)
            }
            // A statement that does not parse is not remembered as prepared: it fails the same way again.
            XCTAssertThrowsError(try connection.run("SELEC 1", [], timeout: Self.statementTimeout, operation: "typo")) { error in
                XCTAssertEqual(PostgresPool.sqlState(of: error), "42601", "\(error)")
            }
        }
        XCTAssertFalse(connection.isClosed)
        try assertRoundTrip(connection, user: "postgres")
    }

    func testAUniqueViolationCarriesItsSQLStateAndDetail() throws {
        let connection = try connect(url())
        defer { connection.close() }
        let table = "wire_unique_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try connection.run("CREATE TEMP TABLE \(table) (k int8 PRIMARY KEY)", [], timeout: Self.statementTimeout, operation: "create")
        _ = try connection.run("INSERT INTO \(table) VALUES (1)", [], timeout: Self.statementTimeout, operation: "insert")
        XCTAssertThrowsError(try connection.run("INSERT INTO \(table) VALUES (1)", [], timeout: Self.statementTimeout,
                                                operation: "insert again")) { error in
            XCTAssertEqual(PostgresPool.sqlState(of: error), "23505")
            XCTAssertTrue("\(error)".contains("Key (k)=(1) already exists"), "\(error)")
        }
    }

    /// Statements sent as one pipeline (one Sync) are one transaction: the last one's rows are
    /// the answer, and a refused statement rolls back those before it. A statement prepared in a
    /// pipeline that failed later is known prepared (it is not parsed again, which PostgreSQL
    /// would refuse); one the failure skipped is parsed again.
    func testAPipelineIsOneTransactionAndPreparesWhatItParsed() throws {
        let connection = try connect(url())
        defer { connection.close() }
        let timeout = Self.statementTimeout
        let table = "wire_pipeline_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try connection.run("CREATE TEMP TABLE \(table) (k int8 PRIMARY KEY)", [], timeout: timeout, operation: "create")
        let rows = try connection.run([("SELECT 1::int8", []), ("SELECT 2::int8 UNION ALL SELECT 3::int8", [])], timeout: timeout,
                                      operation: "two")
        XCTAssertEqual(rows.map { Self.int64($0.first) }, [2, 3])
        let insert = "INSERT INTO \(table) VALUES (1)"
        XCTAssertThrowsError(try connection.run([(insert, []), (insert, [])], timeout: timeout, operation: "insert twice")) { error in
            XCTAssertEqual(PostgresPool.sqlState(of: error), "23505", "\(error)")
        }
        let count = "SELECT count(*)::int8 FROM \(table)"
        XCTAssertEqual(Self.int64(try connection.run(count, [], timeout: timeout, operation: "count").first?.first), 0,
                       "the first insert was not rolled back with the second")
        // Parsed, then the pipeline failed: reused as prepared.
        XCTAssertThrowsError(try connection.run([("SELECT 5::int8", []), ("SELEC 6", [])], timeout: timeout, operation: "typo second"))
        XCTAssertEqual(Self.int64(try connection.run("SELECT 5::int8", [], timeout: timeout, operation: "parsed").first?.first), 5)
        // Skipped by the failure: parsed again.
        XCTAssertThrowsError(try connection.run([("SELEC 7", []), ("SELECT 8::int8", [])], timeout: timeout, operation: "typo first"))
        XCTAssertEqual(Self.int64(try connection.run("SELECT 8::int8", [], timeout: timeout, operation: "skipped").first?.first), 8)
        XCTAssertFalse(connection.isClosed)
    }

    /// The sessions the store opens run READ COMMITTED whatever the default of the role they log
    /// in as (the read leases' ordering needs a snapshot per statement).
    func testSessionsRunReadCommittedWhateverTheRolesDefault() throws {
        let pool = try PostgresPool(url: url())
        defer { pool.close() }
        let role = "enclaveos_serializable_\(UUID().uuidString.prefix(8).lowercased())"
        try pool.withConnection("make a role") { connection in
            _ = try pool.query(connection, "CREATE ROLE \(role) LOGIN", operation: "create")
            _ = try pool.query(connection, "ALTER ROLE \(role) SET default_transaction_isolation = 'serializable'", operation: "alter")
        }
        // Runs last (declared first): after the role's connections below closed.
        defer {
            _ = try? pool.withConnection("drop the role") { connection in
                try pool.query(connection, "DROP ROLE \(role)", operation: "drop")
            }
        }
        var roleURL = try url()
        roleURL.username = role
        func level(_ connection: PostgresWireConnection) throws -> String? {
            let rows = try connection.run("SELECT current_setting('transaction_isolation')", [], timeout: Self.statementTimeout, operation: "level")
            return (rows.first?.first ?? nil).map { String(decoding: $0, as: UTF8.self) }
        }
        let plain = try connect(roleURL)
        defer { plain.close() }
        XCTAssertEqual(try level(plain), "serializable", "the role's default did not apply")
        let store = try PostgresWireConnection.connect(roleURL, settings: pool.startupSettings, timeout: Self.connectTimeout)
        defer { store.close() }
        XCTAssertEqual(try level(store), "read committed")
        let rolePool = try PostgresPool(url: roleURL)
        defer { rolePool.close() }
        let pooled = try rolePool.withConnection("level") { connection in
            try rolePool.query(connection, "SELECT current_setting('transaction_isolation')", operation: "level").first?.makeRandomAccess()[0]
                .decode(String.self)
        }
        XCTAssertEqual(pooled, "read committed", "a pooled connection (PostgresNIO)")
    }

    private static func int64(_ cell: [UInt8]??) -> Int64? {
        guard let cell = cell ?? nil, cell.count == 8 else { return nil }
        return cell.reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    private static func terminate(_ pid: Int64, using pool: PostgresPool) throws -> Bool? {
        try pool.withConnection("terminate") { connection in
            try pool.query(connection, "SELECT pg_terminate_backend(\(pid), 5000)", operation: "terminate").first?
                .makeRandomAccess()[0].decode(Bool.self)
        }
    }

    /// A backend terminated between two statements (as by a database restart) is noticed
    /// before the next statement is sent: that statement runs on a new connection.
    func testABackendTerminatedBetweenStatementsIsReplacedBeforeTheNextOne() throws {
        let pool = try PostgresPool(url: url())
        defer { pool.close() }
        let commits = PostgresCommitConnection(url: try url(), pool: pool)
        defer { commits.close() }
        let pid = try XCTUnwrap(Self.int64(try commits.run([("SELECT pg_backend_pid()::int8", [])], operation: "pid").first?[0]))
        XCTAssertEqual(try Self.terminate(pid, using: pool), true)
        let before = pool.statementCount
        let newPid = try XCTUnwrap(Self.int64(try commits.run([("SELECT pg_backend_pid()::int8", [])], operation: "pid again").first?[0]))
        XCTAssertNotEqual(pid, newPid)
        XCTAssertEqual(pool.statementCount - before, 1)
    }

    /// A backend terminated while it runs the statement: the statement's outcome is unknown
    /// (it was sent, then the connection closed), and the next statement connects again.
    func testABackendTerminatedMidStatementFailsItAsUnknownAndTheNextOneReconnects() throws {
        let pool = try PostgresPool(url: url())
        defer { pool.close() }
        let commits = PostgresCommitConnection(url: try url(), pool: pool)
        defer { commits.close() }
        let pid = try XCTUnwrap(Self.int64(try commits.run([("SELECT pg_backend_pid()::int8", [])], operation: "pid").first?[0]))
        let killed = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            // Once the statement sleeps in the database, its backend is terminated.
            try? waitUntil("the statement runs") {
                try pool.withConnection("find") { connection in
                    try pool.query(connection, "SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND wait_event = 'PgSleep'",
                                   operation: "find").first?.int64(0)
                } == 1
            }
            _ = try? Self.terminate(pid, using: pool)
            killed.signal()
        }
        XCTAssertThrowsError(try commits.run([("SELECT pg_sleep(10)", [])], operation: "sleep")) { error in
            XCTAssertNil(PostgresPool.sqlState(of: error), "\(error)")
            XCTAssertEqual((error as? PostgresWireError)?.mayHaveBeenSent, true, "\(error)")
            XCTAssertTrue("\(error)".contains("outcome is unknown"), "\(error)")
            XCTAssertTrue("\(error)".contains("57P01"), "the database's reason was lost: \(error)")
        }
        XCTAssertEqual(killed.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(try commits.run([("SELECT 7::int8", [])], operation: "reconnected").first?[0], [0, 0, 0, 0, 0, 0, 0, 7])
    }

    /// A statement running past the operation's deadline fails as "timed out", may have been
    /// sent, and its connection is closed; the next statement runs on a new connection.
    func testAStatementPastItsDeadlineTimesOutAndItsConnectionIsDropped() throws {
        // The database's own timeout well after the client's deadline (by default, the commit
        // connection's equals it, and either may end the statement first).
        let pool = try PostgresPool(url: url(), operationTimeout: .milliseconds(300), serverStatementTimeout: .seconds(10))
        defer { pool.close() }
        let commits = PostgresCommitConnection(url: try url(), pool: pool)
        defer { commits.close() }
        let pid = try commits.run([("SELECT pg_backend_pid()::int8", [])], operation: "pid").first?[0] ?? nil
        let started = Date()
        XCTAssertThrowsError(try commits.run([("SELECT pg_sleep(2)", [])], operation: "sleep")) { error in
            XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
            XCTAssertEqual((error as? PostgresWireError)?.mayHaveBeenSent, true, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "the deadline did not end the wait")
        let newPid = try commits.run([("SELECT pg_backend_pid()::int8", [])], operation: "pid again").first?[0] ?? nil
        XCTAssertNotNil(newPid)
        XCTAssertNotEqual(pid, newPid, "the timed-out connection was used again")
    }

    /// With `sslmode=disable` the backend's commits take this client; a commit is still one
    /// statement and the rows read back.
    func testTheBackendCommitsOverTheWireConnection() throws {
        let backend = try postgresBackend()
        defer { backend.close() }
        let namespace = Array(UUID().uuidString.utf8)
        let before = backend.statementCount
        try backend.apply(namespace: namespace, writes: [.put(name: [1], sealedName: [2], value: [3, 4, 5])])
        XCTAssertEqual(backend.statementCount - before, 1)
        XCTAssertEqual(try backend.value(namespace: namespace, name: [1]), [3, 4, 5])
        backend.close()
        XCTAssertThrowsError(try backend.apply(namespace: namespace, writes: [.delete(name: [1])])) { error in
            XCTAssertTrue("\(error)".contains("closed"), "\(error)")
        }
    }
}

/// The client against a server that is not PostgreSQL (the database's host is untrusted): a
/// listener on loopback that answers the startup message with `reply`.
final class PostgresWireHostileServerTests: XCTestCase {
    private func connect(answering reply: [UInt8]) throws -> any Error {
        let port = try Self.serve([reply])
        let url = try PostgresURL(parsing: "postgres://someone@127.0.0.1:\(port)/db")
        do {
            try PostgresWireConnection.connect(url, settings: [], timeout: 5_000_000_000).close()
        } catch {
            return error
        }
        throw FixtureFailure("the connection succeeded")
    }

    /// A one-connection server on loopback: for each of `replies`, it reads what the client
    /// sends (the startup message, then a statement) and answers with that reply. Its port.
    static func serve(_ replies: [[UInt8]]) throws -> Int {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 1) == 0 else {
            close(listener)
            throw FixtureFailure("no listener")
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            defer { close(listener) }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            for reply in replies {
                var received = [UInt8](repeating: 0, count: 4096)
                _ = recv(client, &received, received.count, 0)
                _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            Thread.sleep(forTimeInterval: 1)
            close(client)
        }
        return port
    }

    /// The store's commit connection to a scripted server (`serve(replies)`), and the pool it
    /// takes its settings from.
    static func scriptedCommitConnection(_ replies: [[UInt8]]) throws -> (pool: PostgresPool, connection: PostgresCommitConnection) {
        let port = try serve(replies)
        let url = try PostgresURL(parsing: "postgres://someone@127.0.0.1:\(port)/db")
        let pool = try PostgresPool(url: url)
        return (pool, PostgresCommitConnection(url: url, pool: pool))
    }

    /// A backend message: its type, then its length and `body`.
    static func message(_ type: Character, _ body: [UInt8] = []) -> [UInt8] {
        let length = UInt32(body.count + 4)
        return [UInt8(ascii: type.unicodeScalars.first!)] + (0..<4).map { UInt8(truncatingIfNeeded: length >> (24 - 8 * $0)) } + body
    }

    /// AuthenticationOk, then ReadyForQuery (idle): a server that lets anyone in.
    static let loggedIn = message("R", [0, 0, 0, 0]) + message("Z", [UInt8(ascii: "I")])

    /// A statement the wire cannot carry (more parameters than its int16 count, a Bind over
    /// PostgreSQL's 1 GiB) is refused before a byte leaves: no truncated length goes out, and
    /// the connection stays usable.
    func testAStatementTheWireCannotCarryIsRefusedBeforeSending() throws {
        let port = try Self.serve([Self.loggedIn])
        let url = try PostgresURL(parsing: "postgres://someone@127.0.0.1:\(port)/db")
        let connection = try PostgresWireConnection.connect(url, settings: [], timeout: 5_000_000_000)
        defer { connection.close() }
        let tooMany = Array(repeating: PostgresBinaryParameter(typeOID: PostgresBinaryParameter.byteaOID, value: nil),
                            count: Int(Int16.max) + 1)
        do {
            _ = try connection.run("SELECT 1", tooMany, timeout: 5_000_000_000, operation: "bind too much")
            XCTFail("a statement of \(tooMany.count) parameters was sent")
        } catch {
            XCTAssertFalse(error.mayHaveBeenSent)
            XCTAssertNil(error.sqlState)
            XCTAssertTrue(error.problem.contains("32768 parameters"), error.problem)
        }
        XCTAssertFalse(connection.isClosed, "a statement refused before sending closed the connection")
        XCTAssertTrue(connection.isUsable)

        let cell = PostgresBinaryParameter(typeOID: PostgresBinaryParameter.byteaOID, value: Array(repeating: 7, count: 1000))
        XCTAssertEqual(PostgresWireMessages.maxOutgoingMessageBytes, 1_073_741_822, "PostgreSQL's PQ_LARGE_MESSAGE_LIMIT")
        XCTAssertNil(PostgresWireMessages.unsendable([cell], limit: 1132), "4 + 1000 bytes and 128 of fixed fields fit 1132")
        let problem = PostgresWireMessages.unsendable([cell], limit: 1131)
        XCTAssertEqual(problem, "the statement's parameters take 1132 bytes; PostgreSQL takes at most 1131 in one message")
        XCTAssertNil(PostgresWireMessages.unsendable(Array(repeating: cell, count: 100)), "100 KB is far under 1 GiB")
    }

    func testAnErrorAfterTheLoginFailsTheConnection() throws {
        let refusal = Self.message("E", Array("SFATAL\0C28000\0Mno such role\0\0".utf8))
        let error = try connect(answering: Self.message("R", [0, 0, 0, 0]) + refusal + Self.message("Z", [UInt8(ascii: "I")]))
        XCTAssertTrue("\(error)".contains("28000"), "\(error)")
    }

    func testRowsBeforeTheFirstReadyForQueryAreRefused() throws {
        let error = try connect(answering: Self.message("R", [0, 0, 0, 0]) + Self.message("D", [0, 0]) + Self.message("Z", [UInt8(ascii: "I")]))
        XCTAssertTrue("\(error)".contains("while it starts the session"), "\(error)")
    }

    /// A statement answered as if a transaction were still open: it did not commit.
    func testAStatementLeavingATransactionOpenIsAnError() throws {
        let answer = Self.message("1") + Self.message("2") + Self.message("C", Array("SELECT 0\0".utf8)) + Self.message("Z", [UInt8(ascii: "T")])
        let port = try Self.serve([Self.loggedIn, answer])
        let connection = try PostgresWireConnection.connect(try PostgresURL(parsing: "postgres://someone@127.0.0.1:\(port)/db"),
                                                            settings: [], timeout: 5_000_000_000)
        XCTAssertThrowsError(try connection.run("SELECT 1", [], timeout: 5_000_000_000, operation: "probe")) { error in
            XCTAssertTrue("\(error)".contains("not idle"), "\(error)")
            XCTAssertEqual((error as? PostgresWireError)?.mayHaveBeenSent, true)
        }
        XCTAssertTrue(connection.isClosed, "a connection out of step is not used again")
    }

    /// A prepared statement the database no longer knows fails that commit, and the next one
    /// goes out on a new connection (which prepares afresh), not on the same one.
    func testAPreparedStatementGoneReplacesTheConnection() throws {
        let gone = Self.message("E", Array("SERROR\0C26000\0Mprepared statement does not exist\0\0".utf8)) + Self.message("Z", [UInt8(ascii: "I")])
        let (pool, connection) = try Self.scriptedCommitConnection([Self.loggedIn, gone])
        defer { pool.close() }
        defer { connection.close() }
        XCTAssertThrowsError(try connection.run([("SELECT 1", [])], operation: "probe")) { error in
            XCTAssertEqual((error as? PostgresWireError)?.sqlState, "26000", "\(error)")
        }
        // The scripted server serves one connection: a new one fails to log in (the old one
        // would have failed the statement, "probe", instead).
        XCTAssertThrowsError(try connection.run([("SELECT 1", [])], operation: "probe")) { error in
            XCTAssertTrue("\(error)".contains("PostgreSQL: connect to"), "\(error)")
        }
    }

    /// A commit the database answered, with rows that are not revoked leases: it committed, so
    /// its outcome is unknown to the writers (sent), never "not sent" (which would skip the
    /// background revocation of other nodes' leases).
    func testACommitAnsweredWithMalformedRowsCountsAsSent() throws {
        let row = Self.message("D", [0, 2, 0, 0, 0, 1, 7, 0, 0, 0, 1, 8])
        // The pipeline's two statements: the lease locks (its count row left out), then the commit.
        let locked = Self.message("1") + Self.message("2") + Self.message("C", Array("SELECT 1\0".utf8))
        let answer = locked + Self.message("1") + Self.message("2") + row + Self.message("C", Array("SELECT 1\0".utf8))
            + Self.message("Z", [UInt8(ascii: "I")])
        let (pool, connection) = try Self.scriptedCommitConnection([Self.loggedIn, answer])
        defer { pool.close() }
        defer { connection.close() }
        let job = PostgresGroupCommit.Job(namespace: [1], writes: [.put(name: [2], sealedName: [3], value: [4])])
        XCTAssertThrowsError(try PostgresBackend.commit([job], revoking: ([5], "channel"), pool: pool, connection: connection)) { error in
            guard let failure = error as? PostgresGroupCommit.Failure else { return XCTFail("\(error)") }
            XCTAssertTrue(failure.sent, "\(failure.error)")
            XCTAssertFalse(failure.refusedByDatabase)
            XCTAssertTrue("\(failure.error)".contains("not (bytea, bytea, bigint)"), "\(failure.error)")
        }
    }

    /// A pipeline answered as if it had fewer statements (one completion for two, and a row
    /// after it) is the host's lie or a broken server: refused, not taken as the first
    /// statement's rows.
    func testAPipelineAnsweredForFewerStatementsIsRefused() throws {
        let row = Self.message("D", [0, 1, 0, 0, 0, 1, 7])
        let answer = Self.message("1") + Self.message("2") + Self.message("C", Array("SELECT 1\0".utf8)) + row
            + Self.message("Z", [UInt8(ascii: "I")])
        let (pool, connection) = try Self.scriptedCommitConnection([Self.loggedIn, answer])
        defer { pool.close() }
        defer { connection.close() }
        XCTAssertThrowsError(try connection.run([("SELECT 1", []), ("SELECT 2", [])], operation: "two")) { error in
            XCTAssertTrue("\(error)".contains("completed 1 of 2 statement(s), with 1 row(s) after the last"), "\(error)")
            XCTAssertEqual((error as? PostgresWireError)?.mayHaveBeenSent, true, "\(error)")
        }
    }

    func testAnOversizedMessageLengthIsRefusedBeforeAnythingIsAllocated() throws {
        let error = try connect(answering: [UInt8(ascii: "R"), 0x7f, 0xff, 0xff, 0xff])
        XCTAssertTrue("\(error)".contains("announced a message of 2147483647 bytes"), "\(error)")
    }

    func testAnUnsupportedAuthenticationMethodIsNamed() throws {
        // AuthenticationGSS (7).
        let error = try connect(answering: [UInt8(ascii: "R"), 0, 0, 0, 8, 0, 0, 0, 7])
        XCTAssertTrue("\(error)".contains("authentication method 7"), "\(error)")
    }

    func testATruncatedMessageIsAnErrorNotACrash() throws {
        // An authentication request whose body is shorter than its code.
        let error = try connect(answering: [UInt8(ascii: "R"), 0, 0, 0, 6, 0, 0])
        XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
    }
}
