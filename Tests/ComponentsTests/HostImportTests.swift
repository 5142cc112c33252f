import XCTest
@testable import Components

/// Imports: missing ones fail at load, provided ones are called through `canon lower`.
final class HostImportTests: XCTestCase {
    func testMissingImportIsNamedAtLoad() throws {
        let bytes = try Fixtures.bytes("imports.wasm")
        // A missing interface is named with its first function and how many more it declares.
        let whole = "interface test:imports/host, function 'log' (and 2 more functions of that interface)"
        XCTAssertThrowsComponentError(.missingImport(whole), try Component.load(bytes))
        XCTAssertEqual(ComponentError.missingImport(whole).description, "missing import: \(whole) is not provided by this host")
        // An interface that is registered but lacks one function names that function.
        var partial = HostImports()
        partial.define(instance: "test:imports/host", function: "log", HostFunction { _ in [] })
        XCTAssertThrowsComponentError(.missingImport("interface test:imports/host, function 'add-one'"),
                                      try Component.load(bytes, imports: partial))
        // An interface the host refuses names the interface and the reason, before any function.
        var refusing = partial
        refusing.refuse(instance: "test:imports/host", reason: "not offered here")
        XCTAssertThrowsComponentError(.unsupported("import test:imports/host: not offered here"), try Component.load(bytes, imports: refusing))
    }

    func testHostFunctionsAreCalled() throws {
        let logged = Locked<[String]>([])
        var imports = HostImports()
        imports.define(instance: "test:imports/host", function: "log", HostFunction { args in
            if case .string(let text) = args.first { logged.mutate { $0.append(text) } }
            return []
        })
        imports.define(instance: "test:imports/host", function: "add-one", HostFunction { args in
            guard case .u32(let x) = args.first else { throw ComponentError.trap("bad arg") }
            return [.u32(x &+ 1)]
        })
        imports.define(instance: "test:imports/host", function: "shout", HostFunction { args in
            guard case .string(let text) = args.first else { throw ComponentError.trap("bad arg") }
            return [.string(text.uppercased() + "!")]
        })
        let component = try Component.load(try Fixtures.bytes("imports.wasm"), imports: imports)
        XCTAssertEqual(component.exports.map(\.name), ["relay", "run"])
        XCTAssertEqual(try component.call("run", [.u32(40)]), [.u32(42)])
        XCTAssertEqual(logged.value, ["running"])
        XCTAssertEqual(try component.call("relay", [.string("héllo")]), [.string("HÉLLO!")])
    }

    func testHostErrorsEndTheCall() throws {
        var imports = HostImports()
        imports.define(instance: "test:imports/host", function: "log", HostFunction { _ in throw ComponentError.trap("exit") })
        imports.define(instance: "test:imports/host", function: "add-one", HostFunction { _ in [.u32(0)] })
        imports.define(instance: "test:imports/host", function: "shout", HostFunction { _ in [.u32(0)] })
        let component = try Component.load(try Fixtures.bytes("imports.wasm"), imports: imports)
        XCTAssertThrowsComponentError(.trap("exit"), try component.call("run", [.u32(1)]))
        // A host result of the wrong type is caught before it reaches the guest.
        XCTAssertThrowsError(try component.call("relay", [.string("x")])) { error in
            guard case .trap(let why) = error as? ComponentError else { return XCTFail("got \(error)") }
            XCTAssertTrue(why.contains("do not match"), why)
        }
    }
}
