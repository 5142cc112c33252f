import NIOCore
import PostgresNIO

/// A minimal PostgreSQL protocol 3.0 client on a plain TCP socket, used from the calling thread:
/// no event loop, no driver. The group commit runs its statement here, because PostgresNIO hops
/// to an event-loop thread and back for every statement (measured: a `SELECT 1` round trip took
/// 146–185 µs through the pool and 69–72 µs from the calling thread), and a commit's writers
/// wait for that round trip.
///
/// It speaks what the commit needs: startup (trust, cleartext, MD5 or SCRAM-SHA-256
/// authentication), and the extended protocol with statements prepared once per connection,
/// binary parameters and binary results. No TLS: with `sslmode=require` the commit stays on
/// PostgresNIO. Everything received is the host's and untrusted (`PostgresWireMessages`).
///
/// Not thread-safe: one caller at a time (`PostgresCommitConnection` holds it under a lock).
/// After any failure other than the database's ErrorResponse the connection is closed; a
/// closed connection fails every operation.
final class PostgresWireConnection {
    /// Rows of a statement: one array of cells per row (nil: SQL NULL).
    typealias Rows = [[[UInt8]?]]

    private let socket: PostgresWireSocket
    /// Prepared statement names by SQL text (statements live as long as the session).
    private var prepared: [String: String] = [:]

    private init(socket: PostgresWireSocket) {
        self.socket = socket
    }

    deinit { close() }

    /// Whether the connection is closed (after `close()` or a failure).
    var isClosed: Bool { socket.isClosed }

    /// Whether a statement can be sent now: open, and the database sent nothing since the last
    /// answer. Otherwise it is going away (a terminated backend, a restarted server): a statement
    /// sent there would fail with an unknown outcome, so a new connection is opened instead.
    var isUsable: Bool { socket.isQuiet }

    /// Connects to `url`'s server and logs in as its user, sending `settings` (such as
    /// `statement_timeout`) as startup parameters, all within `timeout` nanoseconds.
    static func connect(_ url: PostgresURL, settings: [(String, String)], timeout: Int64) throws -> PostgresWireConnection {
        let operation = "connect to \(url)"
        let deadline = PostgresWireDeadline(fromNow: timeout)
        let socket = try PostgresWireSocket.connect(host: url.host, port: url.port, deadline: deadline, operation: operation)
        let connection = PostgresWireConnection(socket: socket)
        do {
            var ignored = false
            try socket.write(PostgresWireMessages.startup([("user", url.username), ("database", url.database)] + settings),
                             deadline: deadline, wrote: &ignored)
            try connection.authenticate(url, deadline: deadline)
            // After the login only settings, the key and notices may come before the first
            // ReadyForQuery; an ErrorResponse there (the database refused the session) fails it.
            let answer = try connection.readUntilReady(deadline: deadline, operation: operation, startup: true)
            if let refusal = answer.refusal { throw refusal }
            return connection
        } catch {
            connection.close()
            throw connection.wireError(error, operation: operation, sent: false, timeout: timeout)
        }
    }

    /// Closes the connection (politely, with Terminate, when the socket still works).
    func close() {
        guard !socket.isClosed else { return }
        var ignored = false
        try? socket.write(PostgresWireMessages.terminate, deadline: PostgresWireDeadline(fromNow: 0), wrote: &ignored)
        socket.close()
    }

    /// Runs `sql` with `parameters` (binary, with their types), preparing it first on this
    /// connection's first use of it, and collects its rows; all within `timeout` nanoseconds.
    /// - Throws: `PostgresWireError`: with the SQLSTATE when the database refused the statement
    ///   (the connection stays usable), else after closing the connection, saying whether any
    ///   byte of the statement was sent.
    func run(_ sql: String, _ parameters: [PostgresBinaryParameter], timeout: Int64, operation: String) throws(PostgresWireError) -> Rows {
        try run([(sql, parameters)], timeout: timeout, operation: operation)
    }

    /// Runs `statements` in order, sent at once with one Sync (one round trip): the database
    /// runs them as one transaction, all committed or none, each statement with a snapshot of
    /// its own (READ COMMITTED). Returns the last statement's rows. Otherwise as `run(_:_:)`.
    func run(_ statements: [(sql: String, parameters: [PostgresBinaryParameter])], timeout: Int64,
             operation: String) throws(PostgresWireError) -> Rows {
        for statement in statements {
            if let problem = PostgresWireMessages.unsendable(statement.parameters) {
                // Refused here, before any byte left: the connection stays as it was.
                throw PostgresWireError(operation: operation, problem: problem, mayHaveBeenSent: false)
            }
        }
        let deadline = PostgresWireDeadline(fromNow: timeout)
        var newlyNamed: [(sql: String, name: String)] = []
        let pipeline = statements.map { statement in
            let known = prepared[statement.sql] ?? newlyNamed.first { $0.sql == statement.sql }?.name
            let name = known ?? "enclaveos_\(prepared.count + newlyNamed.count + 1)"
            if known == nil { newlyNamed.append((statement.sql, name)) }
            return PostgresWireMessages.Statement(name: name, sql: statement.sql, prepare: known == nil, parameters: statement.parameters)
        }
        var sent = false
        do {
            try socket.write(PostgresWireMessages.pipeline(pipeline), deadline: deadline, wrote: &sent)
            let answer = try readUntilReady(deadline: deadline, operation: operation)
            // ParseCompletes come in the order the Parses went out; after an error the rest of
            // the pipeline was skipped, so those statements were not prepared.
            for (sql, name) in newlyNamed.prefix(answer.parsed) { prepared[sql] = name }
            if let refusal = answer.refusal { throw refusal }
            // Answered without an error: each statement completed, and no row came after the last.
            guard answer.completed.count == statements.count, answer.rows.isEmpty else {
                throw PostgresWireMessages.Malformed(text: "the database completed \(answer.completed.count) of \(statements.count) "
                                                     + "statement(s), with \(answer.rows.count) row(s) after the last")
            }
            return answer.completed.last ?? []
        } catch {
            // A refusal was answered to what was written: `sent` is true then.
            throw wireError(error, operation: operation, sent: sent, timeout: timeout)
        }
    }

    /// What the database answered up to ReadyForQuery.
    private struct Answer {
        /// Rows of the statement running now.
        var rows: Rows = []
        /// Rows of each statement completed (CommandComplete), in order.
        var completed: [Rows] = []
        /// Bytes of all rows received, capped like one message: a statement's answer is small.
        var bytes = 0
        /// ParseCompletes received (the statements prepared now, in the order sent).
        var parsed = 0
        /// The ErrorResponse, if any (the database then skipped to the Sync).
        var refusal: PostgresWireError?
    }

    /// Reads messages until ReadyForQuery, collecting rows and an ErrorResponse. During the
    /// `startup`, only ParameterStatus, BackendKeyData, NoticeResponse and an ErrorResponse may
    /// come first. The ReadyForQuery must say the session is idle, outside any transaction: our
    /// statements never open one, so anything else means the statement did not commit at the
    /// Sync, and the connection is out of step with us.
    private func readUntilReady(deadline: PostgresWireDeadline, operation: String, startup: Bool = false) throws -> Answer {
        var answer = Answer()
        while true {
            let type: Character, body: [UInt8]
            do {
                (type, body) = try readMessage(deadline: deadline)
            } catch let problem as PostgresWireSocket.IOProblem {
                // A terminated backend says why (FATAL, 57P01) and closes: keep its words.
                guard let refusal = answer.refusal else { throw problem }
                throw PostgresWireSocket.IOProblem(text: "\(problem.text) after: \(refusal.problem)")
            }
            if startup, !["S", "K", "N", "E", "Z"].contains(type) {
                throw PostgresWireMessages.Malformed(text: "unexpected message '\(type)' from the database while it starts the session")
            }
            switch type {
            case "D":
                let row = try PostgresWireMessages.dataRow(body)
                // Each cell is an array of its own: counted with its overhead, so many tiny cells
                // cannot take far more memory than the cap says.
                answer.bytes += body.count + row.count * PostgresWireMessages.cellOverheadBytes
                guard answer.bytes <= PostgresWireMessages.maxMessageBytes else {
                    throw PostgresWireMessages.Malformed(text: "the database's rows exceed \(PostgresWireMessages.maxMessageBytes) bytes")
                }
                answer.rows.append(row)
            case "1": answer.parsed += 1
            case "C":
                answer.completed.append(answer.rows)
                answer.rows = []
            case "E": answer.refusal = try refusal(body, operation: operation)
            case "Z":
                guard body == [UInt8(ascii: "I")] else {
                    throw PostgresWireMessages.Malformed(text: "the database is not idle after the statement "
                                                         + "(transaction status '\(String(decoding: body, as: UTF8.self))', expected 'I')")
                }
                return answer
            // BindComplete, EmptyQueryResponse, NoData, ParameterStatus,
            // BackendKeyData, NoticeResponse, NotificationResponse: nothing the caller needs.
            case "2", "I", "n", "S", "K", "N", "A": continue
            default: throw PostgresWireMessages.Malformed(text: "unexpected message '\(type)' from the database")
            }
        }
    }

    /// The next message: its type and body, its length checked against `maxMessageBytes`.
    private func readMessage(deadline: PostgresWireDeadline) throws -> (type: Character, body: [UInt8]) {
        let header = try socket.read(5, deadline: deadline)
        let length = header.dropFirst().reduce(0) { $0 << 8 | Int($1) }
        guard (4...PostgresWireMessages.maxMessageBytes).contains(length) else {
            throw PostgresWireMessages.Malformed(text: "the database announced a message of \(length) bytes "
                                                 + "(accepted: 4 to \(PostgresWireMessages.maxMessageBytes))")
        }
        return (Character(Unicode.Scalar(header[0])), try socket.read(length - 4, deadline: deadline))
    }

    /// An ErrorResponse as an error carrying its SQLSTATE, message and detail.
    private func refusal(_ body: [UInt8], operation: String) throws -> PostgresWireError {
        let fields = try PostgresWireMessages.fields(body, what: "ErrorResponse")
        let state = fields[UInt8(ascii: "C")] ?? "XX000"
        var problem = (fields[UInt8(ascii: "M")] ?? "the database refused the statement") + " (SQLSTATE \(state))"
        if let detail = fields[UInt8(ascii: "D")] { problem += ": \(detail)" }
        return PostgresWireError(operation: operation, problem: problem, sqlState: state, mayHaveBeenSent: true)
    }

    // MARK: - Authentication

    /// Answers the server's authentication requests until AuthenticationOk.
    private func authenticate(_ url: PostgresURL, deadline: PostgresWireDeadline) throws {
        var scram: PostgresSCRAM?
        var scramVerified = false
        while true {
            let (type, body) = try readMessage(deadline: deadline)
            if type == "E" { throw try refusal(body, operation: "log in as \(url.username)") }
            guard type == "R" else { throw PostgresWireMessages.Malformed(text: "expected an authentication request, got '\(type)'") }
            var reader = PostgresWireMessages.Reader(body, what: "an authentication request")
            let code = try reader.int32()
            switch code {
            case 0:
                // A server that started SCRAM must have proved it knows the password first.
                guard scram == nil || scramVerified else {
                    throw PostgresWireMessages.Malformed(text: "the database ended the SCRAM exchange without its signature")
                }
                return
            case 3:
                let password = try password(url)
                try send(PostgresWireMessages.password { $0.cString(password) }, deadline)
            case 5:
                let salt = try reader.take(4)
                let answer = PostgresSCRAM.md5Password(user: url.username, password: try password(url), salt: salt)
                try send(PostgresWireMessages.password { $0.cString(answer) }, deadline)
            case 10:
                scram = try startSCRAM(&reader, url, deadline)
            case 11:
                guard scram != nil else { throw PostgresWireMessages.Malformed(text: "a SCRAM continuation before its start") }
                let final = try scram?.clientFinal(serverFirst: Array(reader.rest())) ?? []
                try send(PostgresWireMessages.password { $0.raw(final) }, deadline)
            case 12:
                guard let exchange = scram else { throw PostgresWireMessages.Malformed(text: "a SCRAM final message before its start") }
                try exchange.verify(serverFinal: Array(reader.rest()))
                scramVerified = true
            default:
                throw PostgresWireMessages.Malformed(text: "the database asks for authentication method \(code) "
                                                     + "(supported: trust, password, md5, scram-sha-256)")
            }
        }
    }

    /// Picks SCRAM-SHA-256 from the server's mechanisms and sends the first message.
    private func startSCRAM(_ reader: inout PostgresWireMessages.Reader, _ url: PostgresURL,
                            _ deadline: PostgresWireDeadline) throws -> PostgresSCRAM {
        var mechanisms: [String] = []
        while true {
            let mechanism = try reader.cString()
            if mechanism.isEmpty { break }
            mechanisms.append(mechanism)
        }
        guard mechanisms.contains(PostgresSCRAM.mechanism) else {
            throw PostgresWireMessages.Malformed(text: "the database offers only SASL mechanism(s) \(mechanisms.joined(separator: ", ")); "
                                                 + "this client speaks \(PostgresSCRAM.mechanism) (without TLS)")
        }
        let exchange = PostgresSCRAM(password: try password(url))
        let first = exchange.clientFirst
        try send(PostgresWireMessages.password { body in
            body.cString(PostgresSCRAM.mechanism)
            body.int32(Int32(first.count))
            body.raw(first)
        }, deadline)
        return exchange
    }

    private func password(_ url: PostgresURL) throws -> String {
        guard let password = url.password else {
            throw PostgresWireMessages.Malformed(text: "the database asks for a password and the store URL has none")
        }
        return password
    }

    private func send(_ bytes: [UInt8], _ deadline: PostgresWireDeadline) throws {
        var ignored = false
        try socket.write(bytes, deadline: deadline, wrote: &ignored)
    }

    /// `error` as a `PostgresWireError`; any failure but the database's refusal closes the
    /// connection (its state is unknown: a half-read answer, a statement still running).
    private func wireError(_ error: any Error, operation: String, sent: Bool, timeout: Int64) -> PostgresWireError {
        if var refusal = error as? PostgresWireError, refusal.sqlState != nil {
            refusal.mayHaveBeenSent = sent
            return refusal
        }
        close()
        var problem: String
        switch error {
        case let error as PostgresWireError: problem = error.problem
        case let error as PostgresWireSocket.IOProblem: problem = error.text
        case let error as PostgresWireMessages.Malformed: problem = error.text
        default: problem = String(describing: error)
        }
        if problem == PostgresWireSocket.timedOut {
            problem = "timed out after \(BlockingWait.describe(.nanoseconds(timeout))) waiting for the database"
        }
        let may = sent ? "; the statement may have been sent, its outcome is unknown" : ""
        return PostgresWireError(operation: operation, problem: problem + may, mayHaveBeenSent: sent)
    }
}
