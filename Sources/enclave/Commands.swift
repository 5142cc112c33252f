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

/// `enclave load FILE --name N [--hostname H] [--key HEX] [--compat | --one-frame | --chunk-mib N]`
struct Load: SessionCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a WebAssembly component (.wasm) as an app.",
        discussion: """
            Components up to 4 MiB go in one frame (base64); larger ones are streamed in chunks \
            (wasm_load_begin / chunk / commit), read from the file as they are sent, with progress \
            on standard error. The server's limit is 64 MiB unless its operator set --max-component-mib.
            """
    )
    @Argument(help: "Path of the component file.") var file: String
    @Option(name: .long, help: "App name used by later calls.") var name: String
    @Option(name: .long, help: "SNI hostname for the app's own certificate (default: the name).") var hostname: String?
    @Option(name: .long, help: "Bring-your-own 32-byte sealing key as 64 hex digits.") var key: String?
    @Option(name: .customLong("max-fuel"), help: "Fuel per call for this app (default: the server's).") var maxFuel: UInt64?
    @Flag(name: .long, help: "One frame with integer arrays, as servers of the original protocol expect.") var compat = false
    @Flag(name: .customLong("one-frame"), help: "One frame with base64 bytes, whatever the size (at most ~9 MiB).") var oneFrame = false
    @Flag(name: .long, help: ArgumentHelp("Same as --one-frame (kept for older scripts).", visibility: .hidden)) var base64 = false
    @Option(name: .customLong("chunk-mib"), help: "Always stream, in chunks of this many MiB.") var chunkMiB: Int?
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        let chosen = [compat, oneFrame || base64, chunkMiB != nil].filter { $0 }.count
        guard chosen <= 1 else { throw ValidationError("choose one of --compat, --one-frame, --chunk-mib") }
        if let chunkMiB, !(1...8).contains(chunkMiB) { throw ValidationError("--chunk-mib must be between 1 and 8") }
    }

    func execute(in session: Session, json: Bool) throws {
        let source = try ComponentSource(file: file)
        let method: LoadMethod = compat ? .compat : (oneFrame || base64) ? .oneFrame
            : chunkMiB.map { .streamed(chunkSize: $0 << 20) } ?? .default
        let display = LoadProgressDisplay(label: file)
        let app: AppSummary
        do {
            defer { display.finish() }
            app = try session.connection.load(name: name, source: source, hostname: hostname, key: key, maxFuel: maxFuel,
                                              method: method, progress: { display.update($0) })
        } catch EnclaveClientError.requestFailed(let message) where message.contains("component limit") {
            throw EnclaveClientError.requestFailed(message + "; or make the component smaller (strip debug sections: wasm-tools strip)")
        }
        session.invalidate(app: name)
        print(json ? ManagementResponse.loaded(app.info).json().serializedString : Output.app(app, verb: "loaded"))
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
