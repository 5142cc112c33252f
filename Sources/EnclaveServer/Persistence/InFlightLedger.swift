import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A crash-safe record of which apps are running guest code right now, so that a server that
/// died in the middle of an app's code (a crash, kill -9, the OOM killer) does not die again by
/// restoring and running the same app on its next start.
///
/// The record is a small file in the data directory, mapped shared into memory: one 32-byte slot
/// per guest execution in progress (a call, or the trial instantiation of an app being restored),
/// holding that app's `Mark`. Entering and leaving are two stores into the mapping and a lock
/// around a free list (well under a microsecond). The kernel keeps the mapped page when the
/// process dies, however it dies, so the next start reads exactly the slots that were occupied at
/// that moment. A clean stop clears the file. (A crash of the whole machine may lose the page:
/// the record is for process crash loops, not for power cuts.)
///
/// What a mark reveals to the host is only which app (by name and code hash, both public: they
/// are in the certificate) was running at the crash.
final class InFlightLedger: @unchecked Sendable {
    // @unchecked: `base` points at a private shared mapping that lives until `close`. A slot is
    // written only by the thread that took it from `free` (under `free`'s lock) and gave it back
    // after its last write; `close` runs when no guest code runs any more (after the executor has
    // stopped). No other state is mutable.

    /// The file's name inside the data directory.
    static let fileName = "in-flight.map"
    /// Slots: more than any server runs guest code at once (call threads plus request threads).
    static let slotCount = 1024
    static let slotBytes = 32
    private static let header: [UInt8] = Array("EOSINFL1".utf8)
    private static var fileBytes: Int { header.count + slotCount * slotBytes }

    /// Which app a slot belongs to: SHA-256 over a label, the app's name and its code hash, so a
    /// reloaded app with other code is another app.
    struct Mark: Hashable, Sendable {
        let bytes: [UInt8]

        init(appName: String, codeHash: String) {
            var hasher = SHA256()
            hasher.update(data: Array("enclaveos/in-flight/v1\0".utf8))
            hasher.update(data: Array(appName.utf8) + [0] + Array(codeHash.utf8))
            bytes = Array(hasher.finalize())
        }

        fileprivate init(raw: [UInt8]) { bytes = raw }
    }

    /// Why the record could not be opened; the server refuses to start rather than run unguarded.
    struct Failure: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot use the in-flight record '\(path)': \(reason)" }
    }

    let path: String
    private let base: UnsafeMutableRawPointer
    private let free: Locked<[Int]>

    /// Opens (creating it if needed) the record in `directory`, which the caller has locked.
    /// - Returns: the ledger, cleared, and the marks the previous process left behind: the apps
    ///   that were running when it ended without a clean stop.
    static func open(directory: String) throws -> (ledger: InFlightLedger, leftovers: Set<Mark>) {
        let path = (directory as NSString).appendingPathComponent(fileName)
        let descriptor = openRegularFile(path)
        guard descriptor >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        defer { closeFile(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw Failure(path: path, reason: "not a regular file")
        }
        // Read the old contents before resizing: a file of another size or header (tampered,
        // from another version) yields no marks rather than garbage ones.
        var old = [UInt8](repeating: 0, count: fileBytes)
        let read = old.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, fileBytes, 0) }
        let leftovers = read == fileBytes ? marks(in: old) : []
        guard ftruncate(descriptor, off_t(fileBytes)) == 0 else {
            throw Failure(path: path, reason: "cannot size it: \(String(cString: strerror(errno)))")
        }
        guard let mapped = mmap(nil, fileBytes, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
              mapped != MAP_FAILED else {
            throw Failure(path: path, reason: "cannot map it: \(String(cString: strerror(errno)))")
        }
        memset(mapped, 0, fileBytes)
        header.withUnsafeBytes { mapped.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return (InFlightLedger(path: path, base: mapped), leftovers)
    }

    private init(path: String, base: UnsafeMutableRawPointer) {
        self.path = path
        self.base = base
        self.free = Locked(Array((0..<Self.slotCount).reversed()))
    }

    private static func marks(in contents: [UInt8]) -> Set<Mark> {
        guard contents.starts(with: header) else { return [] }
        var found = Set<Mark>()
        for slot in 0..<slotCount {
            let start = header.count + slot * slotBytes
            let raw = Array(contents[start..<start + slotBytes])
            if raw.contains(where: { $0 != 0 }) { found.insert(Mark(raw: raw)) }
        }
        return found
    }

    /// Runs `body` (guest code of the app `mark` names) with the app recorded as running.
    func running<T>(_ mark: Mark, _ body: () throws -> T) rethrows -> T {
        let slot = enter(mark)
        defer { leave(slot) }
        return try body()
    }

    private func enter(_ mark: Mark) -> Int? {
        guard let slot = free.withLock({ $0.popLast() }) else { return nil }
        let address = base + Self.header.count + slot * Self.slotBytes
        mark.bytes.withUnsafeBytes { address.copyMemory(from: $0.baseAddress!, byteCount: Self.slotBytes) }
        return slot
    }

    private func leave(_ slot: Int?) {
        guard let slot else { return }
        memset(base + Self.header.count + slot * Self.slotBytes, 0, Self.slotBytes)
        free.withLock { $0.append(slot) }
    }

    /// A clean stop: no guest code runs any more, so nothing is left to quarantine. Clears the
    /// record (the mapping itself goes with the ledger).
    func close() {
        memset(base + Self.header.count, 0, Self.slotCount * Self.slotBytes)
        _ = msync(base, Self.fileBytes, MS_SYNC)
    }

    deinit {
        munmap(base, Self.fileBytes)
    }
}

// libc's open/close, outside the type whose `open` would shadow them.
private func openRegularFile(_ path: String) -> Int32 {
    open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
}

private func closeFile(_ descriptor: Int32) {
    close(descriptor)
}

extension Optional where Wrapped == InFlightLedger {
    /// Runs `body` recorded in the ledger when there is one (a server without a data directory
    /// has none: it restores nothing, so it cannot crash-loop).
    func running<T>(_ mark: InFlightLedger.Mark, _ body: () throws -> T) rethrows -> T {
        guard let ledger = self else { return try body() }
        return try ledger.running(mark, body)
    }
}
