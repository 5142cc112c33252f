import Components
import Foundation

/// Executes the commands of one converted `.wast` script against our component layer, the way
/// `wasmtime wast` does: each `module` is validated, linked and instantiated once and later
/// invocations run in that instance (state persists between them); `module_definition` only
/// validates; assertions check outcomes. Trap messages are engine-specific and not compared.
final class WastRunner {
    struct Tally {
        var passed = 0, failed = 0, notApplicable = 0

        static func += (lhs: inout Tally, rhs: Tally) {
            lhs.passed += rhs.passed
            lhs.failed += rhs.failed
            lhs.notApplicable += rhs.notApplicable
        }
    }

    /// Generous limits: one instance serves every invocation of a script.
    static let limits = ExecutionLimits(fuel: 2_000_000_000, maxMemoryBytes: 1 << 30)

    private struct Running {
        let component: Component
        let session: ComponentSession
    }

    private let script: WastScript
    private let wasmTools: String
    private var definitions: [String: [UInt8]] = [:]
    private var current: Running?
    private var named: [String: Running] = [:]
    /// Instances registered with `register`, importable by later components.
    private var registered = HostImports()
    private(set) var tally = Tally()
    private(set) var failures: [String] = []
    /// With `--explain`: for every rejection and trap, the message the script expects beside ours.
    private(set) var explanations: [String] = []
    private let explain: Bool

    init(script: WastScript, wasmTools: String, explain: Bool = false) {
        self.script = script
        self.wasmTools = wasmTools
        self.explain = explain
    }

    func run() {
        for command in script.commands {
            let line = command["line"] as? Int ?? 0
            let type = command["type"] as? String ?? "?"
            do {
                try perform(type, command)
                tally.passed += 1
            } catch {
                tally.failed += 1
                failures.append("line \(line): \(type): \(error)")
            }
        }
    }

    private func perform(_ type: String, _ command: [String: Any]) throws {
        switch type {
        case "module":
            let bytes = try assembled(command)
            let running = try instantiate(bytes)
            current = running
            if let name = command["name"] as? String {
                definitions[name] = bytes
                named[name] = running
            }
        case "module_definition":
            let bytes = try assembled(command)
            try Component.validate(bytes)
            if let name = command["name"] as? String { definitions[name] = bytes }
        case "module_instance":
            guard let module = command["module"] as? String, let bytes = definitions[module] else {
                throw WastFailure("no component definition named \(command["module"] ?? "?")")
            }
            let running = try instantiate(bytes)
            current = running
            if let instance = command["instance"] as? String { named[instance] = running }
        case "register":
            try register(command)
        case "action":
            _ = try invoke(command["action"])
        case "assert_return":
            try assertReturn(command)
        case "assert_trap", "assert_exhaustion":
            try assertTrap(command)
        case "assert_invalid", "assert_malformed":
            try assertRejected(command)
        case "assert_unlinkable", "assert_uninstantiable":
            let bytes = try assembled(command)
            do {
                _ = try instantiate(bytes)
            } catch {
                return
            }
            throw WastFailure("the component linked and instantiated")
        default:
            throw WastFailure("unsupported command type \(type)")
        }
    }

    private func assembled(_ command: [String: Any]) throws -> [UInt8] {
        switch try script.component(command, wasmTools: wasmTools) {
        case .success(let bytes): return bytes
        case .failure(let failure): throw failure
        }
    }

    private func instantiate(_ bytes: [UInt8]) throws -> Running {
        let component = try Component.load(bytes, imports: registered)
        return Running(component: component, session: try component.instantiate(limits: Self.limits))
    }

    private func running(_ action: [String: Any]) throws -> Running {
        if let name = action["module"] as? String {
            guard let running = named[name] else { throw WastFailure("no instance named \(name)") }
            return running
        }
        guard let current else { throw WastFailure("no current instance (its module failed)") }
        return current
    }

    /// Runs an `invoke` action; returns the results with their types.
    private func invoke(_ action: Any?) throws -> ([ComponentValue], [WITType]) {
        guard let action = action as? [String: Any], action["type"] as? String == "invoke",
              let field = action["field"] as? String else {
            throw WastFailure("unsupported action \(String(describing: action))")
        }
        let target = try running(action)
        guard let export = target.component.export(named: field) else { throw WastFailure("no export '\(field)'") }
        let json = action["args"] as? [Any] ?? []
        guard json.count == export.type.params.count else { throw WastFailure("\(field) takes \(export.type.params.count) arguments") }
        let arguments = try zip(json, export.type.params).map { try WastValues.value($0.0, $0.1.type) }
        return (try target.session.call(field, arguments), export.type.results.map(\.type))
    }

    private func assertReturn(_ command: [String: Any]) throws {
        let (results, types) = try invoke(command["action"])
        let expected = command["expected"] as? [Any] ?? []
        guard results.count == expected.count else {
            throw WastFailure("expected \(expected.count) results, got \(results.count): \(results)")
        }
        for (index, (result, type)) in zip(results, types).enumerated() where !WastValues.matches(result, type, expected[index]) {
            throw WastFailure("result \(index): got \(result), expected \(expected[index])")
        }
    }

    private func assertTrap(_ command: [String: Any]) throws {
        do {
            if command["action"] != nil {
                let results = try invoke(command["action"]).0
                throw WastFailure("returned \(results) instead of trapping (expected: \(command["text"] ?? ""))")
            }
            _ = try instantiate(try assembled(command))
            throw WastFailure("instantiated instead of trapping")
        } catch let error as ComponentError {
            switch error {
            case .trap, .outOfFuel, .memoryLimit:
                note(command, error)
                return
            default: throw WastFailure("failed without a trap: \(error)")
            }
        }
    }

    private func note(_ command: [String: Any], _ error: Error) {
        guard explain else { return }
        explanations.append("line \(command["line"] as? Int ?? 0): expected \"\(command["text"] ?? "")\", ours: \(error)")
    }

    /// The component must be refused as malformed or invalid (an `unsupported` refusal does not
    /// count: it means a rule was not checked).
    private func assertRejected(_ command: [String: Any]) throws {
        let bytes: [UInt8]
        switch try script.component(command, wasmTools: wasmTools) {
        case .success(let assembledBytes): bytes = assembledBytes
        case .failure:
            guard command["type"] as? String == "assert_malformed" else { throw WastFailure("the text does not assemble") }
            return
        }
        do {
            try Component.validate(bytes)
        } catch let error as ComponentError {
            switch error {
            case .malformed, .invalid, .notAComponent:
                note(command, error)
                return
            default: throw WastFailure("refused for another reason: \(error)")
            }
        }
        throw WastFailure("accepted (expected: \(command["text"] ?? ""))")
    }

    /// `register`: the named (or current) instance's exported functions become importable
    /// by later components as the instance `as`.
    private func register(_ command: [String: Any]) throws {
        guard let alias = command["as"] as? String else { throw WastFailure("register without `as`") }
        let target = try running(command)
        // The runner is single-threaded: a registered function runs only inside a call this thread
        // makes, so the session (not `Sendable`: it owns a WasmKit instance) is never used by two
        // threads; `HostFunction` asks for `@Sendable` because components may run on any thread.
        nonisolated(unsafe) let session = target.session
        for export in target.component.exports {
            let name = export.name
            registered.define(instance: alias, function: name, HostFunction { arguments in try session.call(name, arguments) })
        }
    }
}
