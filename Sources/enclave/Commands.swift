import ArgumentParser
import EnclaveClient
import EnclaveProtocol
import Foundation

/// `enclave ping`
struct Ping: SessionCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the server answers (Ping → Pong).")
    @OptionGroup var options: ConnectionOptions

    func execute(in session: Session, json: Bool) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        try session.connection.ping()
        let micros = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
        print(json ? "\"Pong\"" : "Pong from \(session.connection.host):\(session.connection.port) in \(Output.milliseconds(micros)) ms")
    }
}

/// `enclave load FILE --name N [--hostname H] [--key HEX] [--base64]`
struct Load: SessionCommand {
    static let configuration = CommandConfiguration(abstract: "Upload a WebAssembly component (.wasm) as an app.")
    @Argument(help: "Path of the component file.") var file: String
    @Option(name: .long, help: "App name used by later calls.") var name: String
    @Option(name: .long, help: "SNI hostname for the app's own certificate (default: the name).") var hostname: String?
    @Option(name: .long, help: "Bring-your-own 32-byte sealing key as 64 hex digits.") var key: String?
    @Flag(name: .long, help: "Send the bytes as base64 (smaller) instead of the compat integer array.") var base64 = false
    @OptionGroup var options: ConnectionOptions

    func execute(in session: Session, json: Bool) throws {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw EnclaveClientError.invalidArgument("cannot read '\(file)': \(error.localizedDescription)")
        }
        let message = ManagementMessages.load(name: name, bytes: bytes, hostname: hostname, key: key, base64: base64)
        let response = try session.management(message, json: json)
        session.invalidate(app: name)
        guard !json else { return }
        guard response["status"]?.stringValue == "loaded", let app = response["app"] else {
            throw EnclaveClientError.unexpectedResponse(expected: "status loaded", got: response.serializedString)
        }
        print(Output.app(try AppSummary(json: app), verb: "loaded"))
    }
}

/// `enclave list`
struct List: SessionCommand {
    static let configuration = CommandConfiguration(abstract: "List loaded apps.")
    @OptionGroup var options: ConnectionOptions

    func execute(in session: Session, json: Bool) throws {
        let response = try session.management(ManagementMessages.list(), json: json)
        guard !json else { return }
        guard let apps = response["apps"]?.arrayValue else {
            throw EnclaveClientError.unexpectedResponse(expected: "status apps", got: response.serializedString)
        }
        if apps.isEmpty { print("no apps loaded") }
        for app in apps { print(Output.app(try AppSummary(json: app), verb: "app")) }
    }
}

/// `enclave unload N`
struct Unload: SessionCommand {
    static let configuration = CommandConfiguration(abstract: "Unload an app (destroys its generated key).")
    @Argument(help: "App name.") var name: String
    @OptionGroup var options: ConnectionOptions

    func execute(in session: Session, json: Bool) throws {
        let response = try session.management(ManagementMessages.unload(name: name), json: json)
        session.invalidate(app: name)
        switch response["status"]?.stringValue {
        case "unloaded":
            if !json { print("unloaded \(name)") }
        case "not_found":
            throw EnclaveClientError.requestFailed("no app named '\(name)' is loaded")
        default:
            throw EnclaveClientError.unexpectedResponse(expected: "status unloaded", got: response.serializedString)
        }
    }
}
