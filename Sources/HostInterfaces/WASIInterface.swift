import Components

/// One host function of a WASI interface, over the call's session: lifted arguments in, results
/// out, as the component layer's `HostFunction` expects (one element per WIT result).
public typealias WASIFunction = @Sendable (WASISession, [ComponentValue]) throws -> [ComponentValue]

/// The destructor of one host-defined resource type: called with the rep when the guest drops
/// its handle (or when the call ends).
public typealias WASIDestructor = @Sendable (WASISession, UInt32) throws -> Void

/// One WASI interface as the host provides it: its import name, its functions (resource
/// methods under their component-model names, e.g. `[method]descriptor.read`) and its
/// resource types with their destructors.
public struct WASIInterface: Sendable {
    /// Versioned import name, e.g. `wasi:random/random@0.2.0`.
    public let name: String
    /// Functions by component-model import name.
    public let functions: [String: WASIFunction]
    /// Resource types defined by this interface, by WIT name, with their destructors.
    public let resources: [String: WASIDestructor]

    /// An interface description.
    public init(name: String, functions: [String: WASIFunction], resources: [String: WASIDestructor] = [:]) {
        self.name = name
        self.functions = functions
        self.resources = resources
    }
}

// MARK: - Reading lifted arguments

/// Typed access to lifted arguments. The component layer has already checked them against the
/// WIT the guest imports; a mismatch here means the guest imported an incompatible signature,
/// which traps with a message naming the function rather than crashing the host.
struct Arguments {
    let values: [ComponentValue]
    let function: String

    private func value(_ index: Int) throws -> ComponentValue {
        guard index < values.count else { throw mismatch(index, "a value") }
        return values[index]
    }

    private func mismatch(_ index: Int, _ expected: String) -> WASIHostFault {
        .protocolViolation("\(function): argument \(index + 1) is not \(expected); the import's signature does not match WASI 0.2")
    }

    func u64(_ index: Int) throws -> UInt64 {
        guard case .u64(let v) = try value(index) else { throw mismatch(index, "a u64") }
        return v
    }

    func handle(_ index: Int) throws -> UInt32 {
        guard case .handle(let v) = try value(index) else { throw mismatch(index, "a resource handle") }
        return v
    }

    func string(_ index: Int) throws -> String {
        guard case .string(let v) = try value(index) else { throw mismatch(index, "a string") }
        return v
    }

    func flags(_ index: Int) throws -> [Bool] {
        guard case .flags(let v) = try value(index) else { throw mismatch(index, "flags") }
        return v
    }

    func bytes(_ index: Int) throws -> [UInt8] {
        guard let bytes = try value(index).byteList else { throw mismatch(index, "a list<u8>") }
        return bytes
    }

    func handles(_ index: Int) throws -> [UInt32] {
        guard case .list(let items) = try value(index) else { throw mismatch(index, "a list of handles") }
        return try items.map { item in
            guard case .handle(let rep) = item else { throw mismatch(index, "a list of handles") }
            return rep
        }
    }
}

// MARK: - Building results

enum WITValue {
    static func ok(_ payload: ComponentValue? = nil) -> ComponentValue { .result(isError: false, payload: payload) }
    static func err(_ code: WASIErrorCode) -> ComponentValue { .result(isError: true, payload: .enum(caseIndex: code.rawValue)) }

    /// `result<T, error-code>` from a throwing body: `WASIErrorCode`s become `err`, faults
    /// propagate (they trap), and anything else is `io` (nothing host-internal leaks).
    static func result(_ body: () throws -> ComponentValue?) throws -> ComponentValue {
        do {
            return ok(try body())
        } catch let code as WASIErrorCode {
            return err(code)
        } catch let fault as WASIHostFault {
            throw fault
        } catch let error as ComponentError {
            throw error
        } catch {
            return err(.io)
        }
    }

    /// `result<T, stream-error>`.
    static func stream<T>(_ result: Result<T, WASISession.StreamError>, _ payload: (T) -> ComponentValue?) -> ComponentValue {
        switch result {
        case .success(let value): return ok(payload(value))
        case .failure(.lastOperationFailed(let rep)): return .result(isError: true, payload: .variant(caseIndex: 0, payload: .handle(rep)))
        case .failure(.closed): return .result(isError: true, payload: .variant(caseIndex: 1, payload: nil))
        }
    }

    /// `descriptor-type`: directory is case 3, regular-file case 6.
    static func type(_ type: SealedFileSystem.EntryType) -> ComponentValue {
        .enum(caseIndex: type == .directory ? 3 : 6)
    }

    /// `wasi:clocks/wall-clock.datetime`.
    static func datetime(_ time: Clocks.DateTime) -> ComponentValue {
        .record([.u64(time.seconds), .u32(time.nanoseconds)])
    }
}

extension WASIInterface {
    /// Shorthand for building a function table entry with named argument access.
    static func function(_ name: String, _ body: @escaping @Sendable (WASISession, Arguments) throws -> [ComponentValue]) -> (String, WASIFunction) {
        (name, { session, values in try body(session, Arguments(values: values, function: name)) })
    }
}
