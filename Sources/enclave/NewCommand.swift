import ArgumentParser
import EnclaveProtocol

extension AppTemplates.Language: ExpressibleByArgument {}

/// `enclave new NAME --lang swift|python|c`
struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an app folder: a WIT world named after the app, its source, a build script and a README.",
        discussion: """
            The folder builds on its own (./build.sh) into NAME.wasm, which `enclave load` loads \
            as is. Swift apps use Embedded Swift with generated bindings; C apps clang, Debian's \
            wasi-libc and generated bindings; Python apps componentize-py. Each README says what \
            to install. Rust (cargo-component) and JavaScript (jco) bring their own toolchains: \
            see the repository README.
            """
    )

    @Argument(help: "App name: kebab-case (e.g. hello-world); also the WIT world and the .wasm file name.")
    var name: String

    @Option(name: .long, help: "Language: \(AppTemplates.Language.allCases.map(\.rawValue).joined(separator: ", ")).")
    var lang: AppTemplates.Language

    @Option(name: .long, help: "Folder to create (default: ./NAME); must not exist or be empty.")
    var dir: String?

    @Flag(name: .long, help: "Print what was created as JSON.")
    var json = false

    func validate() throws {
        do {
            try AppTemplates.validate(name: name)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let folder = dir ?? name
        do {
            let files = try AppTemplates.files(for: lang, name: name)
            try AppTemplates.write(files, into: folder)
            if json {
                let document: JSON = .object([
                    "created": .string(folder), "name": .string(name), "lang": .string(lang.rawValue),
                    "files": .array(files.map { .string($0.path) }.sorted { $0.stringValue ?? "" < $1.stringValue ?? "" }),
                    "build": .string("\(folder)/build.sh"), "output": .string("\(folder)/\(name).wasm"),
                ])
                print(document.serializedString)
                return
            }
            print("created \(folder)/: a \(lang.rawValue) app (\(lang.sourceFile), wit/world.wit, build.sh, README.md\(lang.usesBindgen ? ", support/" : ""))")
            print("next:")
            print("  \(folder)/build.sh                                  # → \(folder)/\(name).wasm")
            print("  enclave load \(folder)/\(name).wasm --name \(name)")
            print("  enclave call \(name) 'greet(\"world\")'")
        } catch {
            // A name taken, a folder that cannot be written: local problems, usage status.
            Terminal.printError(error)
            throw ExitStatus.usage.exitCode
        }
    }
}
