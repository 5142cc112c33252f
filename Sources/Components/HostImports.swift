/// A host function a component may import, implemented in Swift.
///
/// The component layer lifts the guest's arguments to `ComponentValue`s (by the WIT type the
/// component declares for the import), calls `body`, and lowers its results back. Throwing a
/// `ComponentError` ends the whole call with that error (e.g. `.trap("exit")`).
///
/// Resource handles cross as `.handle(rep)`: for a `borrow<R>` or `own<R>` parameter the layer
/// has already looked the guest's handle up (trapping on a bad one) and passes the host's `rep`;
/// an `own<R>` result is a host-chosen `rep` that the layer enters in the guest's handle table.
public struct HostFunction: Sendable {
    /// The implementation: the call's context and arguments in, results out (one element per
    /// WIT result).
    public var body: @Sendable (HostCallContext, [ComponentValue]) throws -> [ComponentValue]

    /// For an import name with several known WIT shapes (wit/ and docs/sdk.md `https.fetch`): picks the
    /// implementation for the type the component declares, once, when the component loads.
    /// Nil means `body` serves every declared type.
    private var binder: (@Sendable (WITFunctionType) -> HostFunction?)?

    /// Wraps a Swift closure that needs the call's context (session, fuel, handle table).
    public init(_ body: @escaping @Sendable (HostCallContext, [ComponentValue]) throws -> [ComponentValue]) {
        self.body = body
    }

    /// A function whose implementation depends on the type the component declares for it.
    /// `binding` runs at load for each import bound to this function and returns the
    /// implementation for that type, or nil when the host does not support it: the component is
    /// then refused with the declared type named (instead of trapping on its first call).
    public init(binding: @escaping @Sendable (WITFunctionType) -> HostFunction?) {
        self.body = { _, _ in throw ComponentError.trap("host function called without being bound to its declared type") }
        self.binder = binding
    }

    /// The implementation for an import `name` declared with `type`.
    /// - Throws: `ComponentError.unsupported` naming the import and its type when a binding
    ///   function refuses it.
    func bound(to type: WITFunctionType, name: String) throws -> HostFunction {
        guard let binder else { return self }
        guard let chosen = binder(type) else {
            throw ComponentError.unsupported("import \(name) is declared as \(type), a shape this host does not implement")
        }
        return chosen
    }

    /// Wraps a context-free Swift closure.
    public init(_ body: @escaping @Sendable ([ComponentValue]) throws -> [ComponentValue]) {
        self.body = { _, arguments in try body(arguments) }
    }

    /// Calls the function outside any component (a detached context with `session`): for
    /// testing host implementations directly.
    public func invoke(_ arguments: [ComponentValue], session: (any CallSession)? = nil) throws -> [ComponentValue] {
        try body(HostCallContext(session: session), arguments)
    }
}

/// A resource type the host implements (e.g. `wasi:io/streams@0.2.0#output-stream`): the guest
/// holds handles to host-chosen `rep`s, and dropping an owned handle calls `destructor`.
public struct HostResource: Sendable {
    /// Called with the `rep` when the guest drops its last owned handle (`resource.drop`).
    /// Not called for handles still held when the call ends: the host cleans up per-call state
    /// through its session object.
    public var destructor: @Sendable (HostCallContext, UInt32) throws -> Void

    /// A host resource with the given destructor.
    public init(destructor: @escaping @Sendable (HostCallContext, UInt32) throws -> Void) {
        self.destructor = destructor
    }
}

/// The registry of what the host provides to components: root-level functions by import name,
/// interface instances (e.g. `wasi:random/random@0.2.0`) as maps of function names, and the
/// resource types those interfaces export.
///
/// A component importing anything not registered here fails at load with
/// `ComponentError.missingImport` naming the import.
public struct HostImports: Sendable {
    /// Root-level function imports, by import name.
    public var functions: [String: HostFunction] = [:]
    /// Instance imports, by interface name, then function name.
    public var instances: [String: [String: HostFunction]] = [:]
    /// Resource types, by `interface#resource` (or the bare import name of a root-level
    /// resource import).
    public var resources: [String: HostResource] = [:]
    /// Per interface, the function that serves every function name not registered by name
    /// (usually a `HostFunction(binding:)` that answers by the declared type, e.g. an interface
    /// the host refuses as a whole).
    public var fallbacks: [String: HostFunction] = [:]

    /// Interfaces the host refuses at load, with the reason (e.g. one it knows but does not
    /// offer); a component importing one fails with the interface and the reason named.
    public var refusals: [String: String] = [:]

    /// An empty registry.
    public init() {}

    /// Refuses interface `instance` at load with `reason`.
    public mutating func refuse(instance: String, reason: String) {
        refusals[instance] = reason
    }

    /// The reason interface `name` is refused, if it is (same version rules as `instance(named:)`).
    func refusal(forInstance name: String) -> String? {
        guard let key = Self.match(name, in: refusals.keys) else { return nil }
        return refusals[key]
    }

    /// No host functions at all: only self-contained components load.
    public static let none = HostImports()

    /// Registers a root-level function import.
    public mutating func define(function name: String, _ function: HostFunction) {
        functions[name] = function
    }

    /// Registers one function of an imported interface instance.
    public mutating func define(instance: String, function name: String, _ function: HostFunction) {
        instances[instance, default: [:]][name] = function
    }

    /// Registers the function serving every function of `instance` not registered by name; the
    /// interface itself then counts as provided.
    public mutating func define(instance: String, fallback: HostFunction) {
        fallbacks[instance] = fallback
        if instances[instance] == nil { instances[instance] = [:] }
    }

    /// The fallback of the interface an import `name` binds to (same rules as `instance(named:)`).
    public func fallback(forInstance name: String) -> HostFunction? {
        guard let key = Self.match(name, in: fallbacks.keys) else { return nil }
        return fallbacks[key]
    }

    /// Registers a host resource type by its full name, `interface#resource`, e.g.
    /// `wasi:io/streams@0.2.0#output-stream`. Its constructor and methods are ordinary functions
    /// of the interface (`[constructor]output-stream`, `[method]output-stream.write`, …).
    public mutating func define(resource name: String, destructor: @escaping @Sendable (HostCallContext, UInt32) throws -> Void) {
        resources[name] = HostResource(destructor: destructor)
        // An interface that only exports resources is still an instance the component can import.
        if let hash = name.lastIndex(of: "#") {
            let interface = String(name[..<hash])
            if instances[interface] == nil { instances[interface] = [:] }
        }
    }

    /// Registers a host resource type of an interface, e.g. (`wasi:io/streams@0.2.0`, `output-stream`).
    public mutating func define(instance: String, resource: String, destructor: @escaping @Sendable (HostCallContext, UInt32) throws -> Void) {
        define(resource: "\(instance)#\(resource)", destructor: destructor)
    }

    /// Finds an interface by its import name. An exact match wins; otherwise a registration of
    /// the same package and interface with another `0.2.x`-style patch version is accepted.
    func instance(named name: String) -> [String: HostFunction]? {
        guard let key = Self.match(name, in: instances.keys) else { return nil }
        return instances[key]
    }

    /// The registered name a resource import `interface#resource` binds to (itself, or the same
    /// interface at another patch version). The layer names the resource type by this key, so
    /// hosts always see the names they registered.
    func resourceKey(named name: String) -> String? {
        if resources[name] != nil { return name }
        guard let hash = name.lastIndex(of: "#") else { return nil }
        let interface = String(name[..<hash])
        let local = name[name.index(after: hash)...]
        let candidates = resources.keys.compactMap { key -> String? in
            guard let keyHash = key.lastIndex(of: "#"), key[key.index(after: keyHash)...] == local else { return nil }
            return String(key[..<keyHash])
        }
        guard let matched = Self.match(interface, in: candidates) else { return nil }
        return "\(matched)#\(local)"
    }

    /// The registered key that `name` binds to: itself, or the same interface at another patch
    /// version of the same major.minor.
    private static func match<Keys: Sequence>(_ name: String, in keys: Keys) -> String? where Keys.Element == String {
        var fallback: String?
        guard let (base, version) = splitVersion(name) else {
            return keys.contains(name) ? name : nil
        }
        let wantedMinor = version.split(separator: ".").prefix(2)
        for candidate in keys {
            if candidate == name { return candidate }
            guard let (otherBase, otherVersion) = splitVersion(candidate), otherBase == base else { continue }
            if otherVersion.split(separator: ".").prefix(2) == wantedMinor { fallback = candidate }
        }
        return fallback
    }

    /// Splits `ns:pkg/iface@1.2.3` into (`ns:pkg/iface`, `1.2.3`).
    static func splitVersion(_ name: String) -> (String, String)? {
        guard let at = name.lastIndex(of: "@") else { return nil }
        return (String(name[..<at]), String(name[name.index(after: at)...]))
    }
}
