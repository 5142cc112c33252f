import Components

/// `wasi:io/streams@0.2.0`: input and output streams over files, stdin, stdout and stderr.
/// Streams never block, so each blocking variant is its plain twin.
enum StreamsInterface {
    private typealias Entry = (String, WASIFunction)

    private static func input(_ method: String, _ body: @escaping @Sendable (WASISession, Arguments) throws -> [ComponentValue]) -> Entry {
        WASIInterface.function("[method]input-stream.\(method)", body)
    }

    private static func output(_ method: String, _ body: @escaping @Sendable (WASISession, Arguments) throws -> [ComponentValue]) -> Entry {
        WASIInterface.function("[method]output-stream.\(method)", body)
    }

    /// Bytes a call of `function` writes that its values do not show, for its fuel charge
    /// (`HostWorkFuel`): the zeroes of `write-zeroes`, the bytes `splice` moves (at most one
    /// write's worth, `WASISession.maxWriteBytes`). Nil for every other function.
    static func unseenWork(of function: String, _ arguments: [ComponentValue]) -> Int? {
        let lengthIndex: Int
        switch function {
        case "[method]output-stream.write-zeroes", "[method]output-stream.blocking-write-zeroes-and-flush": lengthIndex = 1
        case "[method]output-stream.splice", "[method]output-stream.blocking-splice": lengthIndex = 2
        default: return nil
        }
        guard arguments.count > lengthIndex, case .u64(let length) = arguments[lengthIndex] else { return nil }
        return Int(min(length, WASISession.maxWriteBytes))
    }

    private static let read: @Sendable (WASISession, Arguments) throws -> [ComponentValue] = { session, args in
        [WITValue.stream(try session.streamRead(args.handle(0), length: args.u64(1))) { ComponentValue.bytes($0) }]
    }
    private static let skip: @Sendable (WASISession, Arguments) throws -> [ComponentValue] = { session, args in
        [WITValue.stream(try session.streamSkip(args.handle(0), length: args.u64(1))) { .u64($0) }]
    }
    private static let write: @Sendable (WASISession, Arguments) throws -> [ComponentValue] = { session, args in
        [WITValue.stream(try session.streamWrite(args.handle(0), args.bytes(1))) { _ in nil }]
    }
    private static let writeAndFlush: @Sendable (WASISession, Arguments) throws -> [ComponentValue] = { session, args in
        let rep = try args.handle(0)
        let written = try session.streamWrite(rep, args.bytes(1))
        guard case .success = written else { return [WITValue.stream(written) { _ in nil }] }
        return [WITValue.stream(try session.streamFlush(rep)) { _ in nil }]
    }
    private static let flush: @Sendable (WASISession, Arguments) throws -> [ComponentValue] = { session, args in
        [WITValue.stream(try session.streamFlush(args.handle(0))) { _ in nil }]
    }
    private static let zeroes: @Sendable (WASISession, Arguments) throws -> [ComponentValue] = { session, args in
        [WITValue.stream(try session.streamWriteZeroes(args.handle(0), length: args.u64(1))) { _ in nil }]
    }
    private static let splice: @Sendable (WASISession, Arguments) throws -> [ComponentValue] = { session, args in
        [WITValue.stream(try session.splice(args.handle(0), from: args.handle(1), length: args.u64(2))) { .u64($0) }]
    }
    private static let subscribe: @Sendable (WASISession, Arguments) throws -> [ComponentValue] = { session, _ in
        [.handle(try session.subscribe())]
    }

    static let interface = WASIInterface(
        name: "wasi:io/streams@0.2.0",
        functions: Dictionary(uniqueKeysWithValues: [
            input("read", read), input("blocking-read", read),
            input("skip", skip), input("blocking-skip", skip),
            input("subscribe", subscribe),
            output("check-write") { session, args in
                [WITValue.stream(try session.checkWrite(args.handle(0))) { .u64($0) }]
            },
            output("write", write), output("blocking-write-and-flush", writeAndFlush),
            output("flush", flush), output("blocking-flush", flush),
            output("subscribe", subscribe),
            output("write-zeroes", zeroes), output("blocking-write-zeroes-and-flush", zeroes),
            output("splice", splice), output("blocking-splice", splice),
        ]),
        resources: [
            "input-stream": { session, rep in try session.dropInputStream(rep) },
            "output-stream": { session, rep in try session.dropOutputStream(rep) },
        ]
    )
}
