import Foundation
import XCTest
import Components
@testable import HostInterfaces
import SealedStore

final class BindingTests: XCTestCase {
    /// Every function and resource declared in `wit/deps` (the interfaces of wit/ and docs/sdk.md) is
    /// registered under its component-model import name, and nothing else is.
    func testEveryWITFunctionIsRegistered() throws {
        var declared: [String: Set<String>] = [:]
        var declaredResources: [String: Set<String>] = [:]
        let deps = repositoryRoot.appendingPathComponent("wit/deps")
        for package in try FileManager.default.contentsOfDirectory(atPath: deps.path) {
            for file in try FileManager.default.contentsOfDirectory(atPath: deps.appendingPathComponent(package).path) where file.hasSuffix(".wit") {
                let text = try String(contentsOf: deps.appendingPathComponent(package).appendingPathComponent(file), encoding: .utf8)
                var packageName = "", interface: String?, resource: String?, depth = 0, resourceDepth = 0
                for raw in text.split(separator: "\n") {
                    let line = raw.trimmingCharacters(in: .whitespaces)
                    if line.hasPrefix("//") { continue }
                    if line.hasPrefix("package ") { packageName = String(line.dropFirst(8).dropLast()) }
                    let words = line.split(separator: " ")
                    if words.first == "interface", words.count > 1 { interface = String(words[1]) }
                    if words.first == "world" { interface = nil }
                    if words.first == "resource", words.count > 1, let iface = interface {
                        let name = String(words[1].prefix { $0 != ";" && $0 != "{" })
                        let (pkg, version) = (packageName.split(separator: "@")[0], packageName.split(separator: "@")[1])
                        declaredResources["\(pkg)/\(iface)@\(version)", default: []].insert(name)
                        if line.hasSuffix("{") { resource = name; resourceDepth = depth + 1 }
                    }
                    if let iface = interface, let colon = line.range(of: ": func(") {
                        let name = String(line[..<colon.lowerBound])
                        let (pkg, version) = (packageName.split(separator: "@")[0], packageName.split(separator: "@")[1])
                        declared["\(pkg)/\(iface)@\(version)", default: []].insert(resource.map { "[method]\($0).\(name)" } ?? name)
                    }
                    depth += line.filter { $0 == "{" }.count - line.filter { $0 == "}" }.count
                    if resource != nil && depth < resourceDepth { resource = nil }
                }
            }
        }
        // `privasys:enclave-os/https` is registered by the server, which owns the egress client.
        XCTAssertEqual(declared.removeValue(forKey: "privasys:enclave-os/https@0.1.0"), ["fetch"])
        let interfaces = WASIHost.interfaces + EnclaveSDK.interfaces
        let registered = Dictionary(uniqueKeysWithValues: interfaces.map { ($0.name, Set($0.functions.keys)) })
        let registeredResources = Dictionary(uniqueKeysWithValues: interfaces.map { ($0.name, Set($0.resources.keys)) })
        XCTAssertEqual(declared.count + declaredResources.keys.filter { declared[$0] == nil }.count, 20 + EnclaveSDK.interfaces.count)
        XCTAssertEqual(registered.filter { !$0.value.isEmpty }, declared)
        XCTAssertEqual(registeredResources.filter { !$0.value.isEmpty }, declaredResources)
        var imports = HostImports()
        WASIHost.register(into: &imports)
        // Plus the seven wasi:sockets interfaces and their six resource types, refused as a whole.
        XCTAssertEqual(imports.instances.count, 20 + SocketsRefusal.interfaces.count)
        XCTAssertEqual(imports.resources.count, declaredResources.values.map(\.count).reduce(0, +) + SocketsRefusal.resources.count)
    }

    private func function(_ interface: String, _ name: String) throws -> WASIFunction {
        try XCTUnwrap(WASIHost.interfaces.first { $0.name == interface }?.functions[name], "\(interface) \(name)")
    }

    func testFilesystemValueShapes() throws {
        let session = WASISession(kv: try makeKV())
        let preopens = try function("wasi:filesystem/preopens@0.2.0", "get-directories")(session, [])
        guard case .list(let entries)? = preopens.first, case .tuple(let pair)? = entries.first,
              case .handle(let root)? = pair.first else { return XCTFail("preopens: \(preopens)") }
        XCTAssertEqual(pair.last, .string("/"))
        let types = "wasi:filesystem/types@0.2.0"
        let openAt = try function(types, "[method]descriptor.open-at")
        let opened = try openAt(session, [.handle(root), .flags([false]), .string("f.txt"),
                                          .flags([true, false, false, false]), .flags([true, true, false, false, false, false])])
        guard case .result(false, .handle(let fd)?)? = opened.first else { return XCTFail("open-at: \(opened)") }
        let written = try function(types, "[method]descriptor.write")(session, [.handle(fd), .list([.u8(7), .u8(8)]), .u64(1)])
        XCTAssertEqual(written, [.result(isError: false, payload: .u64(2))])
        let read = try function(types, "[method]descriptor.read")(session, [.handle(fd), .u64(10), .u64(0)])
        XCTAssertEqual(read, [.result(isError: false, payload: .tuple([.list([.u8(0), .u8(7), .u8(8)]), .bool(true)]))])
        let stat = try function(types, "[method]descriptor.stat-at")(session, [.handle(root), .flags([false]), .string("nope")])
        XCTAssertEqual(stat, [.result(isError: true, payload: .enum(caseIndex: 20))], "no-entry is case 20")
        let fileStat = try function(types, "[method]descriptor.stat")(session, [.handle(fd)])
        // No access time; modification and status-change times as `datetime` records.
        guard case .result(false, .record(let fields)?)? = fileStat.first, fields.count == 6,
              case .option(.record(let modified)?) = fields[4], case .option(.record(let changed)?) = fields[5],
              case .u64(let seconds) = modified.first, changed.count == 2 else { return XCTFail("stat: \(fileStat)") }
        XCTAssertEqual(Array(fields[0..<4]), [.enum(caseIndex: 6), .u64(1), .u64(3), .option(nil)])
        XCTAssertEqual(Double(seconds), Date().timeIntervalSince1970, accuracy: 5)
        let escape = try openAt(session, [.handle(root), .flags([false]), .string("../x"), .flags([true, false, false, false]), .flags([true, true, false, false, false, false])])
        XCTAssertEqual(escape, [.result(isError: true, payload: .enum(caseIndex: WASIErrorCode.notPermitted.rawValue))])
        // A stream error carries an `error` resource that maps back to the filesystem code.
        let ro = try openAt(session, [.handle(root), .flags([false]), .string("f.txt"), .flags([false, false, false, false]), .flags([true, false, false, false, false, false])])
        guard case .result(false, .handle(let roFD)?)? = ro.first else { return XCTFail("open-at ro: \(ro)") }
        XCTAssertEqual(try function(types, "[method]descriptor.write-via-stream")(session, [.handle(roFD), .u64(0)]),
                       [.result(isError: true, payload: .enum(caseIndex: WASIErrorCode.badDescriptor.rawValue))])
        var configuration = WASISession.Configuration()
        configuration.fileSystem.maxFileBytes = 4
        let small = WASISession(kv: try makeKV(), configuration: configuration)
        let smallRoot = try small.preopens()[0].rep
        let smallFD = try small.openAt(smallRoot, path: "s", openFlags: .create, flags: [.read, .write])
        let stream = try small.writeViaStream(smallFD, offset: 0)
        let failed = try function("wasi:io/streams@0.2.0", "[method]output-stream.write")(small, [.handle(stream), .list(Array(repeating: .u8(1), count: 5))])
        guard case .result(true, .variant(0, .handle(let errorRep)?)?)? = failed.first else { return XCTFail("stream write: \(failed)") }
        XCTAssertEqual(try function(types, "filesystem-error-code")(small, [.handle(errorRep)]),
                       [.option(.enum(caseIndex: WASIErrorCode.fileTooLarge.rawValue))])
        XCTAssertEqual(try function("wasi:io/error@0.2.0", "[method]error.to-debug-string")(small, [.handle(errorRep)]),
                       [.string("wasi:filesystem error-code::file-too-large")])
    }

    func testCLIShapes() throws {
        let session = WASISession(kv: nil)
        XCTAssertEqual(try function("wasi:cli/environment@0.2.0", "get-environment")(session, []), [.list([])])
        XCTAssertEqual(try function("wasi:cli/environment@0.2.0", "get-arguments")(session, []), [.list([])])
        XCTAssertThrowsError(try function("wasi:cli/exit@0.2.0", "exit")(session, [.result(isError: false, payload: nil)])) { error in
            XCTAssertEqual(error as? WASIHostFault, .exit(success: true))
        }
        XCTAssertEqual(session.exitStatus, true)
        XCTAssertEqual(try function("wasi:filesystem/preopens@0.2.0", "get-directories")(session, []), [.list([])])
        let seed = try function("wasi:random/insecure-seed@0.2.0", "insecure-seed")
        XCTAssertEqual(try seed(session, []), try seed(session, []))
        for stream in ["stdin", "stdout", "stderr"] {
            XCTAssertEqual(try function("wasi:cli/terminal-\(stream)@0.2.0", "get-terminal-\(stream)")(session, []), [.option(nil)])
        }
    }

    /// wasi:sockets links (at any 0.2.x) but grants nothing: sockets and lookups are refused with
    /// `access-denied`, anything else traps with the reason.
    func testSocketsAreRefusedByDeclaredType() throws {
        let errorCode = WITType.enum(name: "error-code", cases: ["unknown", "access-denied", "not-supported"])
        let create = WITFunctionType(
            params: [WITParameter(name: "address-family", type: .enum(name: nil, cases: ["ipv4", "ipv6"]))],
            results: [WITParameter(name: "", type: .result(ok: .own(resource: "wasi:sockets/tcp@0.2.0#tcp-socket"), err: errorCode))])
        XCTAssertEqual(try SocketsRefusal.refusal(for: create).invoke([.enum(caseIndex: 0)]),
                       [.result(isError: true, payload: .enum(caseIndex: 1))])
        let network = WITFunctionType(params: [], results: [WITParameter(name: "", type: .own(resource: "wasi:sockets/network@0.2.0#network"))])
        XCTAssertEqual(try SocketsRefusal.refusal(for: network).invoke([]), [.handle(0)])
        let listening = WITFunctionType(params: [WITParameter(name: "self", type: .borrow(resource: "x#tcp-socket"))],
                                        results: [WITParameter(name: "", type: .bool)])
        XCTAssertThrowsError(try SocketsRefusal.refusal(for: listening).invoke([.handle(1)])) { error in
            XCTAssertEqual(error as? ComponentError, .trap(SocketsRefusal.reason))
        }
        var imports = HostImports()
        WASIHost.register(into: &imports)
        XCTAssertNotNil(imports.fallback(forInstance: "wasi:sockets/tcp-create-socket@0.2.9"), "any 0.2.x patch binds")
        XCTAssertNil(imports.fallback(forInstance: "wasi:sockets/tcp-create-socket@0.3.0"))
    }
}
