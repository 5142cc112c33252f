import SealedStore

/// `wasi:filesystem/types.error-code`, case for case in WIT declaration order, so `rawValue` is
/// the enum's case index on the wire (`ComponentValue.enum(caseIndex:)`).
///
/// The filesystem core throws these directly: every failure a guest can cause maps to exactly
/// one WASI code, and the bindings turn it into `result::err` without a lookup table.
public enum WASIErrorCode: Int, Error, CaseIterable, Sendable, CustomStringConvertible {
    case access, wouldBlock, already, badDescriptor, busy, deadlock, quota, exist
    case fileTooLarge, illegalByteSequence, inProgress, interrupted, invalid, io
    case isDirectory, loop, tooManyLinks, messageSize, nameTooLong, noDevice, noEntry
    case noLock, insufficientMemory, insufficientSpace, notDirectory, notEmpty
    case notRecoverable, unsupported, noTTY, noSuchDevice, overflow, notPermitted, pipe
    case readOnly, invalidSeek, textFileBusy, crossDevice

    /// The case name as WIT spells it (`no-entry`), for logs and test messages.
    public var witName: String { Self.witNames[rawValue] }

    /// `wasi:filesystem error-code::<name>`.
    public var description: String { "wasi:filesystem error-code::\(witName)" }

    /// The WIT names in declaration order; index = `rawValue`.
    public static let witNames: [String] = [
        "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota", "exist",
        "file-too-large", "illegal-byte-sequence", "in-progress", "interrupted", "invalid", "io",
        "is-directory", "loop", "too-many-links", "message-size", "name-too-long", "no-device",
        "no-entry", "no-lock", "insufficient-memory", "insufficient-space", "not-directory",
        "not-empty", "not-recoverable", "unsupported", "no-tty", "no-such-device", "overflow",
        "not-permitted", "pipe", "read-only", "invalid-seek", "text-file-busy", "cross-device",
    ]

    /// The case with WIT name `name`, if any.
    public init?(witName name: String) {
        guard let index = Self.witNames.firstIndex(of: name) else { return nil }
        self.init(rawValue: index)
    }

    /// Maps a sealed-store failure to the code a guest sees. Integrity and backend failures are
    /// `io` (docs/sdk.md, sealed store: tampering is an `io` error, never wrong data); size limits are the
    /// size codes, so a libc reports `EFBIG`/`ENAMETOOLONG` rather than a generic failure.
    public static func from(_ error: SealedStoreError) -> WASIErrorCode {
        switch error {
        case .invalidInput(let why):
            if why.hasPrefix("key ") || why.hasPrefix("prefix ") { return .nameTooLong }
            if why.hasPrefix("value ") { return .fileTooLarge }
            return .invalid
        case .integrity, .backend, .sealingKey, .invalidKeyHex, .invalidKeyLength:
            return .io
        case .appRemoved:
            return .badDescriptor
        case .appAlreadyExists:
            return .exist
        case .quotaExceeded:
            return .quota
        }
    }

    /// Runs `body`, turning any sealed-store error into its WASI code; other `WASIErrorCode`s
    /// pass through and anything else is `io` (the guest must never see a host-internal error).
    static func mapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let code as WASIErrorCode {
            throw code
        } catch let error as SealedStoreError {
            throw from(error)
        } catch {
            throw WASIErrorCode.io
        }
    }
}
