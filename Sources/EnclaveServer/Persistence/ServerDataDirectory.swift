import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks (and if missing, creates) the server's `--data-dir` before the store opens it, so an
/// unusable path fails at start with a message about the directory rather than a SQLite error.
enum ServerDataDirectory {
    /// Ensures `path` is a writable directory, creating it (and its parents) with mode 0700.
    /// - Returns: a warning for the operator when an existing directory is open to group or
    ///   others (the sealing key file inside is still 0600, but the listing leaks app activity).
    /// - Throws: `PersistenceError.dataDirectory` naming the problem.
    static func prepare(_ path: String) throws -> String? {
        guard !path.isEmpty else {
            throw PersistenceError.dataDirectory(path: path, reason: "the path is empty")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw PersistenceError.dataDirectory(path: path, reason: "it exists but is not a directory")
            }
        } else {
            try makeDirectories(path)
            return nil
        }
        // access(2) answers for this process's real uid, which is what the server runs as.
        guard access(path, W_OK | X_OK) == 0 else {
            throw PersistenceError.dataDirectory(path: path, reason: "it is not writable (\(String(cString: strerror(errno))))")
        }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            return "data directory \(path) has permissions \(String(info.st_mode & 0o777, radix: 8)); "
                + "consider chmod 700 \(path)"
        }
        return nil
    }

    /// `mkdir -p` with mode 0700, component by component, so a failure names the component and
    /// the system's reason (Foundation only says "NSCocoaErrorDomain error 512").
    private static func makeDirectories(_ path: String) throws {
        let absolute = path.hasPrefix("/")
        var current = absolute ? "" : "."
        for component in path.split(separator: "/") where component != "." {
            current += "/" + component
            if mkdir(current, 0o700) != 0, errno != EEXIST {
                let why = String(cString: strerror(errno))
                throw PersistenceError.dataDirectory(path: path, reason: "cannot create it (mkdir \(current): \(why))")
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PersistenceError.dataDirectory(path: path, reason: "cannot create it (a component is not a directory)")
        }
    }
}
