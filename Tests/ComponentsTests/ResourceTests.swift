import XCTest
@testable import Components

/// Per-call host state for the `resources` fixture, reached through `HostCallContext.session`.
final class CounterHostState: CallSession {
    var counters: [UInt32: UInt32] = [:]
    var nextRep: UInt32 = 100
    /// Destructor calls and consumptions, in order.
    var events: [String] = []
    /// Numbers the guest passed to `note` (its `acc` destructor notes 1000 + total).
    var notes: [UInt32] = []
    let tag: UInt32

    init(tag: UInt32 = 7) { self.tag = tag }

    func make(_ value: UInt32) -> UInt32 {
        let rep = nextRep
        nextRep += 1
        counters[rep] = value
        return rep
    }
}

/// Host resources (own/borrow/drop and every misuse), an exported guest resource, sessions.
final class ResourceTests: XCTestCase {
    static let host = "test:resources/host"

    /// What a call given no `CounterHostState` fails with.
    static let noSession = ComponentError.trap("no session")

    static func value(_ state: CounterHostState, _ argument: ComponentValue?) throws -> UInt32 {
        guard case .handle(let rep) = argument, let value = state.counters[rep] else {
            throw ComponentError.trap("host: unknown counter \(String(describing: argument))")
        }
        return value
    }

    static func imports() -> HostImports {
        var imports = HostImports()
        imports.define(instance: host, resource: "counter", session: CounterHostState.self, missing: noSession) { state, rep in
            state.events.append("drop counter \(rep)")
            state.counters[rep] = nil
        }
        imports.define(instance: host, resource: "token", session: CounterHostState.self, missing: noSession) { state, rep in
            state.events.append("drop token \(rep)")
        }
        func define(_ name: String, _ body: @escaping @Sendable (CounterHostState, [ComponentValue]) throws -> [ComponentValue]) {
            imports.define(instance: host, function: name, HostFunction(session: CounterHostState.self, missing: noSession) { state, _, arguments in
                try body(state, arguments)
            })
        }
        define("[constructor]counter") { state, arguments in
            guard case .u32(let start) = arguments.first else { throw ComponentError.trap("bad start") }
            return [.handle(state.make(start))]
        }
        define("[method]counter.add") { state, arguments in
            guard arguments.count == 2, case .handle(let rep) = arguments[0], case .u32(let n) = arguments[1] else { throw ComponentError.trap("bad add") }
            state.counters[rep] = try value(state, arguments[0]) + n
            return []
        }
        define("[method]counter.get") { state, arguments in [.u32(try value(state, arguments.first))] }
        define("peek") { state, arguments in [.u32(try value(state, arguments.first))] }
        define("consume") { state, arguments in
            let result = try value(state, arguments.first)
            if case .handle(let rep) = arguments.first { state.events.append("consume counter \(rep)"); state.counters[rep] = nil }
            return [.u32(result)]
        }
        define("both") { state, arguments in
            [.u32(try value(state, arguments.first) + value(state, arguments.last))]
        }
        define("make-token") { state, _ in
            let rep = state.nextRep
            state.nextRep += 1
            return [.handle(rep)]
        }
        define("session-tag") { state, _ in [.u32(state.tag)] }
        define("note") { state, arguments in
            if case .u32(let x) = arguments.first { state.notes.append(x) }
            return []
        }
        return imports
    }

    static func component() throws -> Component {
        try Component.load(try Fixtures.bytes("resources.wasm"), imports: imports())
    }

    func assertTrap(_ component: Component, _ export: String, contains expected: String, state: CounterHostState = CounterHostState(),
                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try component.call(export, [], session: state), file: file, line: line) { error in
            guard case .trap(let why) = error as? ComponentError else { return XCTFail("got \(error)", file: file, line: line) }
            XCTAssertTrue(why.contains(expected), "'\(why)' does not mention '\(expected)'", file: file, line: line)
        }
    }

    func testHostResourceConstructorMethodsBorrowOwnAndDrop() throws {
        let state = CounterHostState()
        XCTAssertEqual(try Self.component().call("basic", [], session: state), [.u32(45)])
        // The counter moved to the host through `consume`; the token was dropped by the guest.
        XCTAssertEqual(state.events, ["consume counter 100", "drop token 101"])
        XCTAssertTrue(state.counters.isEmpty)
    }

    func testHandleMisuseTraps() throws {
        let component = try Self.component()
        let state = CounterHostState()
        assertTrap(component, "drop-twice", contains: "handle 1 is not live (already dropped or moved)", state: state)
        XCTAssertEqual(state.events, ["drop counter 100"], "the destructor runs once")
        assertTrap(component, "use-after-drop", contains: "handle 1 is not live")
        assertTrap(component, "wrong-type", contains: "handle 1 is a test:resources/host#token, not a test:resources/host#counter")
        assertTrap(component, "out-of-range", contains: "handle 12345 is out of range")
        assertTrap(component, "lend-and-move", contains: "cannot be moved while it is lent")
    }

    func testManyHandlesGrowAndReuseTheTable() throws {
        let component = try Self.component()
        for n: UInt32 in [0, 1, 1000, 5000] {
            let state = CounterHostState()
            XCTAssertEqual(try component.call("many", [.u32(n)], session: state), [.u32(n * (n &- 1) / 2)], "n = \(n)")
            XCTAssertEqual(state.events.count, Int(n))
            XCTAssertTrue(state.counters.isEmpty)
        }
    }

    func testGuestResourceInsideOneCall() throws {
        let state = CounterHostState()
        // new → handle 1, rep → the total (7), drop → destructor notes 1007.
        XCTAssertEqual(try Self.component().call("use-acc", [], session: state), [.u32(8)])
        XCTAssertEqual(state.notes, [1007])
    }

    func testSessionIsVisibleToHostFunctions() throws {
        let component = try Self.component()
        XCTAssertEqual(try component.call("tag", [], session: CounterHostState(tag: 11)), [.u32(11)])
        XCTAssertEqual(try component.call("tag", [], session: CounterHostState(tag: 12)), [.u32(12)])
        XCTAssertThrowsComponentError(.trap("no session"), try component.call("tag", []))
        // Another host's session is not this host's: its functions fail as with none.
        XCTAssertThrowsComponentError(.trap("no session"), try component.call("tag", [], session: OtherHostState()))
    }

    /// Per-call state of some other host.
    final class OtherHostState: CallSession {}

    func testExportedResourceTypesAreNamed() throws {
        let component = try Self.component()
        let constructor = try XCTUnwrap(component.export(named: "test:resources/guest/[constructor]acc"))
        XCTAssertEqual(constructor.type.results.map(\.type), [.own(resource: "test:resources/guest#acc")])
        let add = try XCTUnwrap(component.export(named: "test:resources/guest/[method]acc.add"))
        XCTAssertEqual(add.type.params.map(\.type), [.borrow(resource: "test:resources/guest#acc"), .u32])
        let read = try XCTUnwrap(component.export(named: "test:resources/guest/read-counter"))
        XCTAssertEqual(read.type.params.map(\.type), [.borrow(resource: "test:resources/host#counter")])
    }

    func testExportedGuestResourceAcrossASession() throws {
        let state = CounterHostState()
        let session = try Self.component().instantiate(session: state)
        let iface = "test:resources/guest"
        let made = try session.call("\(iface)/[constructor]acc", [.u32(5)])
        guard case .handle(let rep)? = made.first else { return XCTFail("got \(made)") }
        XCTAssertEqual(try session.call("\(iface)/[method]acc.add", [.handle(rep), .u32(3)]), [])
        XCTAssertEqual(try session.call("\(iface)/[method]acc.total", [.handle(rep)]), [.u32(8)])
        // Moving it back in and dropping it there runs the guest's destructor.
        XCTAssertEqual(try session.call("\(iface)/finish", [.handle(rep)]), [.u32(8)])
        XCTAssertEqual(state.notes, [1008])
        // The host can drop one it owns, too.
        guard case .handle(let other)? = try session.call("\(iface)/[constructor]acc", [.u32(40)]).first else { return XCTFail() }
        try session.dropOwned(resource: "\(iface)#acc", rep: other)
        XCTAssertEqual(state.notes, [1008, 1040])
    }

    func testHostHandlesLentToAnExport() throws {
        let component = try Self.component()
        let state = CounterHostState()
        let rep = state.make(9)
        XCTAssertEqual(try component.call("test:resources/guest/read-counter", [.handle(rep)], session: state), [.u32(9)])
        XCTAssertEqual(state.events, [], "dropping a borrow does not destroy the resource")
        // A borrow the guest keeps past its return is a trap.
        XCTAssertThrowsError(try component.call("test:resources/guest/keep-borrow", [.handle(rep)], session: state)) { error in
            guard case .trap(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("without dropping 1 borrowed handle"), why)
        }
        // Ownership passes in and straight back out.
        XCTAssertEqual(try component.call("test:resources/guest/pass-through", [.handle(rep)], session: state), [.handle(rep)])
    }

    func testMissingHostResourceIsNamedAtLoad() throws {
        var imports = Self.imports()
        imports.resources["test:resources/host#token"] = nil
        XCTAssertThrowsComponentError(.missingImport("test:resources/host#token"),
                                      try Component.load(try Fixtures.bytes("resources.wasm"), imports: imports))
    }
}
