import Components
import HostInterfaces
import SealedStore

extension AppRuntime {
    /// Parses and validates `bytes` against the runtime's imports, with no app behind it: a
    /// start function or constructor that reaches WASI traps (tests and tools).
    func load(_ bytes: [UInt8]) throws -> Component {
        try Component.load(bytes, imports: imports)
    }

    /// Parses and validates app `name`'s component. Its trial instantiation runs the start
    /// functions and constructors like a call's instantiation: under `options.trialLimits`, with
    /// a session over the app's store `kv`. What they write is kept (the session is finished,
    /// as after a call); docs/instantiation.md.
    func load(_ bytes: [UInt8], app name: String, kv: SealedKV?, sdk: EnclaveApp?, options: LoadOptions) throws -> Component {
        let session = Self.makeSession(app: name, kv: kv, sdk: sdk, context: " (instantiation at load)", output: guestOutput)
        let component: Component
        do {
            component = try Component.load(bytes, imports: imports, options: options, trialSession: session)
        } catch {
            try? session.finish()
            throw error
        }
        do {
            try session.finish()
        } catch {
            throw AppLoadError.trialWriteBack("\(error)")
        }
        return component
    }
}

/// A load that failed after the component itself was accepted.
enum AppLoadError: Error, CustomStringConvertible {
    /// The files written by constructors during the trial instantiation could not be sealed.
    case trialWriteBack(String)

    var description: String {
        switch self {
        case .trialWriteBack(let why): return "the instantiation at load could not write the app's files back: \(why)"
        }
    }
}
