import Foundation
import Synchronization
import PostgresNIO
import XCTest
@testable import SealedStore

/// A private PostgreSQL server for the tests of this process, started once through
/// `tests/cluster/private_postgres.py` (the helper the cluster test uses too) and stopped at exit.
/// Debian's `postgresql` must be installed: the test command installs it; without it the tests
/// that need it fail, naming the package.
enum PrivatePostgres {
    /// The server once started, or why it could not start (held while it starts, so once).
    private static let started = Mutex<Result<(directory: String, url: String), Error>?>(nil)

    /// The repository's `tests/cluster/private_postgres.py`.
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tests/cluster/private_postgres.py").path
    }

    /// The store URL of the running server, starting it on first use.
    static func url() throws -> String {
        try instance().url
    }

    static func instance() throws -> (directory: String, url: String) {
        try started.withLock { started in
            if let started { return try started.get() }
            let result = Result { () throws -> (directory: String, url: String) in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("enclaveos-pg-\(UUID().uuidString)").path
                let url = try run("start", directory)
                atexit {
                    // Stopped and removed: each test run used to leave its ~47 MB database behind.
                    guard let directory = PrivatePostgres.directoryForExit.withLock({ $0 }) else { return }
                    _ = try? PrivatePostgres.run("stop", directory)
                    try? FileManager.default.removeItem(atPath: directory)
                }
                directoryForExit.withLock { $0 = directory }
                return (directory, url)
            }
            started = result
            return try result.get()
        }
    }

    /// Roles that must log in with a password, by authentication method, made once.
    private static let passwordRoles = Mutex<[String: (user: String, password: String)]>([:])

    /// A role that logs in to the private server with a password checked by `method`
    /// (`scram-sha-256` or `md5`): made on first use, with its password stored for that method
    /// and a `pg_hba.conf` line for it placed before the file's `trust` lines, then reloaded.
    static func passwordRole(_ method: String) throws -> (user: String, password: String) {
        try passwordRoles.withLock { roles in
            if let known = roles[method] { return known }
            let user = "enclaveos_" + method.filter(\.isLetter)
            let password = "pw-\(UUID().uuidString)"
            let pool = try PostgresPool(url: PostgresURL(parsing: url()))
            defer { pool.close() }
            func run(_ sql: String) throws -> [PostgresRow] {
                try pool.withConnection("set up \(user)") { connection in
                    Array(try pool.query(connection, sql, operation: "set up \(user)"))
                }
            }
            let encryption = method == "md5" ? "md5" : "scram-sha-256"
            _ = try pool.withConnection("create \(user)") { connection in
                _ = try pool.query(connection, "SET password_encryption = '\(encryption)'", operation: "set password_encryption")
                return try pool.query(connection, "CREATE ROLE \(user) LOGIN SUPERUSER PASSWORD '\(password)'", operation: "create \(user)")
            }
            guard let hbaFile = try run("SHOW hba_file").first?.makeRandomAccess()[0].decode(String.self) else {
                throw FixtureFailure("no hba_file")
            }
            let lines = try String(contentsOfFile: hbaFile, encoding: .utf8)
            // First match wins: this line must come before the `trust` ones initdb wrote.
            try ("host all \(user) 127.0.0.1/32 \(method)\n" + lines).write(toFile: hbaFile, atomically: false, encoding: .utf8)
            _ = try run("SELECT pg_reload_conf()")
            roles[method] = (user, password)
            return (user, password)
        }
    }

    /// The directory the exit handler stops the server in (a C handler cannot capture it).
    private static let directoryForExit = Mutex<String?>(nil)

    /// Stops the server as a power cut would (no checkpoint), then starts it again.
    static func crashAndRestart() throws {
        let directory = try instance().directory
        _ = try run("crash", directory)
        _ = try run("restart", directory)
    }

    @discardableResult
    static func run(_ command: String, _ directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, command, directory]
        let output = Pipe()
        process.standardOutput = output
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureFailure("private_postgres.py \(command) failed: \(problem)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A failure of the fixture (not a skip: a missing PostgreSQL fails the test).
struct FixtureFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A new backend (its own connections: another "server") on the private database. Tests share
/// the database, so each works under its own random app names and namespaces.
func postgresBackend() throws -> PostgresBackend {
    try PostgresBackend(url: PostgresURL(parsing: PrivatePostgres.url()))
}
