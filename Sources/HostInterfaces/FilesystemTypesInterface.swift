import Components

/// `wasi:filesystem/types@0.2.0`: descriptors and directory streams over the app's sealed
/// filesystem. Every rule is in `WASISession`/`SealedFileSystem`; this file converts values.
enum FilesystemTypesInterface {
    private typealias Body = @Sendable (WASISession, Arguments) throws -> [ComponentValue]

    private static func method(_ name: String, _ body: @escaping Body) -> (String, WASIFunction) {
        WASIInterface.function("[method]descriptor.\(name)", body)
    }

    /// A method returning `result<T, error-code>`.
    private static func fallible(_ name: String, _ body: @escaping @Sendable (WASISession, Arguments) throws -> ComponentValue?) -> (String, WASIFunction) {
        method(name) { session, args in [try WITValue.result { try body(session, args) }] }
    }

    /// `descriptor-stat`: access times are not kept (`none`); a file's modification and
    /// status-change times are, when known (`FileTimes`).
    private static func stat(_ stat: SealedFileSystem.Stat) -> ComponentValue {
        .record([WITValue.type(stat.type), .u64(1), .u64(stat.size), .option(nil),
                 .option(stat.times.map { WITValue.datetime($0.modified) }),
                 .option(stat.times.map { WITValue.datetime($0.changed) })])
    }

    /// A `new-timestamp` argument as the modification time to set: nil for `no-change`.
    private static func newTimestamp(_ args: Arguments, _ index: Int) throws -> Clocks.DateTime? {
        guard index < args.values.count, case .variant(let tag, let payload) = args.values[index] else {
            throw WASIHostFault.protocolViolation("\(args.function): argument \(index + 1) is not a new-timestamp")
        }
        switch (tag, payload) {
        case (0, _): return nil
        case (1, _): return Clocks.wallNow()
        case (2, .record(let fields)?) where fields.count == 2:
            guard case .u64(let seconds) = fields[0], case .u32(let nanoseconds) = fields[1], nanoseconds < 1_000_000_000 else {
                throw WASIErrorCode.invalid
            }
            return Clocks.DateTime(seconds: seconds, nanoseconds: nanoseconds)
        default:
            throw WASIHostFault.protocolViolation("\(args.function): argument \(index + 1) is not a new-timestamp")
        }
    }

    private static func hash(_ value: (lower: UInt64, upper: UInt64)) -> ComponentValue {
        .record([.u64(value.lower), .u64(value.upper)])
    }

    static let interface = WASIInterface(
        name: "wasi:filesystem/types@0.2.0",
        functions: Dictionary(uniqueKeysWithValues: [
            fallible("read-via-stream") { s, a in .handle(try s.readViaStream(a.handle(0), offset: a.u64(1))) },
            fallible("write-via-stream") { s, a in .handle(try s.writeViaStream(a.handle(0), offset: a.u64(1))) },
            fallible("append-via-stream") { s, a in .handle(try s.appendViaStream(a.handle(0))) },
            // Advice changes nothing for an in-memory cache; accepted so libc's posix_fadvise works.
            fallible("advise") { s, a in _ = try s.descriptor(a.handle(0)); return nil },
            fallible("sync-data") { s, a in try s.sync(a.handle(0)); return nil },
            fallible("sync") { s, a in try s.sync(a.handle(0)); return nil },
            fallible("get-flags") { s, a in .flags(try s.flags(a.handle(0)).bools) },
            fallible("get-type") { s, a in WITValue.type(try s.type(a.handle(0))) },
            fallible("set-size") { s, a in try s.setSize(a.handle(0), a.u64(1)); return nil },
            // Access times are not kept, so only the modification time (argument 2) is applied.
            fallible("set-times") { s, a in try s.setTimes(a.handle(0), modified: newTimestamp(a, 2)); return nil },
            fallible("set-times-at") { s, a in
                try s.setTimesAt(a.handle(0), path: a.string(2), modified: newTimestamp(a, 4))
                return nil
            },
            fallible("read") { s, a in
                let (bytes, end) = try s.read(a.handle(0), length: a.u64(1), offset: a.u64(2))
                return .tuple([ComponentValue.bytes(bytes), .bool(end)])
            },
            fallible("write") { s, a in .u64(try s.write(a.handle(0), a.bytes(1), offset: a.u64(2))) },
            fallible("read-directory") { s, a in .handle(try s.readDirectory(a.handle(0))) },
            fallible("create-directory-at") { s, a in try s.createDirectoryAt(a.handle(0), path: a.string(1)); return nil },
            fallible("stat") { s, a in stat(try s.stat(a.handle(0))) },
            fallible("stat-at") { s, a in stat(try s.statAt(a.handle(0), path: a.string(2))) },
            // The store has no links of either kind.
            fallible("link-at") { _, _ in throw WASIErrorCode.unsupported },
            fallible("symlink-at") { _, _ in throw WASIErrorCode.unsupported },
            fallible("readlink-at") { s, a in _ = try s.statAt(a.handle(0), path: a.string(1)); throw WASIErrorCode.invalid },
            fallible("open-at") { s, a in
                .handle(try s.openAt(a.handle(0), path: a.string(2), openFlags: OpenFlags(bools: a.flags(3)),
                                     flags: DescriptorFlags(bools: a.flags(4))))
            },
            fallible("remove-directory-at") { s, a in try s.removeDirectoryAt(a.handle(0), path: a.string(1)); return nil },
            fallible("rename-at") { s, a in
                try s.renameAt(a.handle(0), oldPath: a.string(1), newDirectory: a.handle(2), newPath: a.string(3))
                return nil
            },
            fallible("unlink-file-at") { s, a in try s.unlinkFileAt(a.handle(0), path: a.string(1)); return nil },
            method("is-same-object") { s, a in [.bool((try? s.isSameObject(a.handle(0), a.handle(1))) ?? false)] },
            fallible("metadata-hash") { s, a in
                let rep = try a.handle(0)
                return hash(s.metadataHash(of: try s.path(rep), size: try s.stat(rep).size))
            },
            fallible("metadata-hash-at") { s, a in
                let rep = try a.handle(0)
                let path = try s.resolve(rep, a.string(2))
                return hash(s.metadataHash(of: path, size: try s.statAt(rep, path: a.string(2)).size))
            },
            WASIInterface.function("[method]directory-entry-stream.read-directory-entry") { s, a in
                [try WITValue.result {
                    guard let entry = try s.readDirectoryEntry(a.handle(0)) else { return .option(nil) }
                    return .option(.record([WITValue.type(entry.type), .string(entry.name)]))
                }]
            },
            WASIInterface.function("filesystem-error-code") { s, a in
                let code = (try? s.errors.get(a.handle(0)))?.code
                return [.option(code.map { .enum(caseIndex: $0.rawValue) })]
            },
        ]),
        resources: [
            "descriptor": { session, rep in try session.dropDescriptor(rep) },
            "directory-entry-stream": { session, rep in _ = try? session.directoryStreams.remove(rep) },
        ]
    )
}
