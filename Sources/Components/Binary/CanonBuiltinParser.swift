/// Decodes the async, stream, future, error-context, waitable and thread built-ins of the canon
/// section (opcodes 0x05–0x2d and 0x40–0x42, as wasmtime 49 reads them). The flag bytes
/// (`async?`, the historical `cancellable?`) are booleans: 0x00 or 0x01.
enum CanonBuiltinParser {
    static func parse(_ kind: UInt8, _ r: inout BinaryReader) throws -> CanonBuiltin {
        func flag() throws -> Bool {
            let byte = try r.readByte()
            guard byte <= 1 else { throw r.error("invalid boolean value 0x\(String(byte, radix: 16))") }
            return byte == 1
        }
        func index() throws -> UInt32 { try r.readU32() }
        func options() throws -> CanonOptionsDef { try ComponentParser.parseCanonOptions(&r) }
        switch kind {
        case 0x05: return .taskCancel
        case 0x06: return .subtaskCancel(async: try flag())
        case 0x08: return .backpressureSet
        case 0x09:
            let result: ValType?
            let listKind = try r.readByte()
            switch listKind {
            case 0x00: result = try TypeParser.parseValType(&r)
            case 0x01:
                let count = try r.readByte()
                guard count == 0 else { throw r.error("invalid leading byte (0x\(String(count, radix: 16))) for number of results") }
                result = nil
            default: throw r.error("invalid leading byte (0x\(String(listKind, radix: 16))) for component function results")
            }
            return .taskReturn(result: result, options: try options())
        case 0x0a, 0x0b:
            let type = try CoreTypeParser.parseValType(&r)
            guard type == .i32 else { throw ComponentError.invalid("context.get/context.set only support the i32 type, not \(type)") }
            return kind == 0x0a ? .contextGet(index: try index()) : .contextSet(index: try index())
        case 0x0c: return .threadYield(cancellable: try flag())
        case 0x0d: return .subtaskDrop
        case 0x0e: return .streamNew(try index())
        case 0x0f: return .streamRead(try index(), try options())
        case 0x10: return .streamWrite(try index(), try options())
        case 0x11: return .streamCancelRead(try index(), async: try flag())
        case 0x12: return .streamCancelWrite(try index(), async: try flag())
        case 0x13: return .streamDropReadable(try index())
        case 0x14: return .streamDropWritable(try index())
        case 0x15: return .futureNew(try index())
        case 0x16: return .futureRead(try index(), try options())
        case 0x17: return .futureWrite(try index(), try options())
        case 0x18: return .futureCancelRead(try index(), async: try flag())
        case 0x19: return .futureCancelWrite(try index(), async: try flag())
        case 0x1a: return .futureDropReadable(try index())
        case 0x1b: return .futureDropWritable(try index())
        case 0x1c: return .errorContextNew(try options())
        case 0x1d: return .errorContextDebugMessage(try options())
        case 0x1e: return .errorContextDrop
        case 0x1f: return .waitableSetNew
        case 0x20: return .waitableSetWait(cancellable: try flag(), memory: try index())
        case 0x21: return .waitableSetPoll(cancellable: try flag(), memory: try index())
        case 0x22: return .waitableSetDrop
        case 0x23: return .waitableJoin
        case 0x24: return .backpressureInc
        case 0x25: return .backpressureDec
        case 0x26: return .threadIndex
        case 0x27: return .threadNewIndirect(type: try index(), table: try index())
        case 0x28: return .threadResumeLater
        case 0x29: return .threadSuspend(cancellable: try flag())
        case 0x2a: return .threadSuspendThenResume(cancellable: try flag())
        case 0x2b: return .threadYieldThenResume(cancellable: try flag())
        case 0x2c: return .threadSuspendThenPromote(cancellable: try flag())
        case 0x2d: return .threadYieldThenPromote(cancellable: try flag())
        case 0x40:
            _ = try flag()
            return .threadSpawnRef(type: try index())
        case 0x41:
            _ = try flag()
            return .threadSpawnIndirect(type: try index(), table: try index())
        case 0x42:
            _ = try flag()
            return .threadAvailableParallelism
        default:
            throw r.error("invalid leading byte (0x\(String(kind, radix: 16))) for canonical function")
        }
    }
}
