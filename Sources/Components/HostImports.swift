/// A host function a component may import, implemented in Swift.
///
/// The component layer lifts the guest's arguments to `ComponentValue`s (by the WIT type the
/// component declares for the import), calls `body`, and lowers its results back. Throwing a
/// `ComponentError` ends the whole call with that error (e.g. `.trap("exit")`).
public struct HostFunction: Sendable {
    /// The implementation: arguments in, results out (one element per WIT result).
    public var body: @Sendable ([ComponentValue]) throws -> [ComponentValue]

    /// Wraps a Swift closure as a host function.
    public init(_ body: @escaping @Sendable ([ComponentValue]) throws -> [ComponentValue]) {
        self.body = body
    }
}

/// The registry of what the host provides to components: root-level functions by import name,
/// and interface instances (e.g. `wasi:random/random@0.2.0`) as maps of function names.
///
/// A component importing anything not registered here fails at load with
/// `ComponentError.missingImport` naming the import.
public struct HostImports: Sendable {
    /// Root-level function imports, by import name.
    public var functions: [String: HostFunction] = [:]
    /// Instance imports, by interface name, then function name.
    public var instances: [String: [String: HostFunction]] = [:]

    /// An empty registry.
    public init() {}

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

    /// Finds an interface by its import name. An exact match wins; otherwise a registration of
    /// the same package and interface with another `0.2.x`-style patch version is accepted.
    func instance(named name: String) -> [String: HostFunction]? {
        if let exact = instances[name] { return exact }
        guard let (base, version) = Self.splitVersion(name) else { return nil }
        let wantedMinor = version.split(separator: ".").prefix(2)
        for (candidate, functions) in instances {
            guard let (otherBase, otherVersion) = Self.splitVersion(candidate), otherBase == base else { continue }
            if otherVersion.split(separator: ".").prefix(2) == wantedMinor { return functions }
        }
        return nil
    }

    /// Splits `ns:pkg/iface@1.2.3` into (`ns:pkg/iface`, `1.2.3`).
    static func splitVersion(_ name: String) -> (String, String)? {
        guard let at = name.lastIndex(of: "@") else { return nil }
        return (String(name[..<at]), String(name[name.index(after: at)...]))
    }
}
