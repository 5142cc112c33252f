import Components
import EnclaveProtocol

/// An app's exports in the original's `wasm_schema` shape: root functions under `functions`,
/// functions of exported interfaces grouped under `interfaces` (each `{"name","functions"}`),
/// both omitted when empty, then `mcp_enabled`.
enum AppSchemaDocument {
    /// The `schema` object of `{"status":"schema","schema":…}`.
    static func schema(of app: LoadedApp) -> JSON {
        var roots: [JSON] = []
        var interfaces: [(name: String, functions: [JSON])] = []
        for export in app.component.exports.sorted(by: { $0.name < $1.name }) {
            let (interface, function) = split(export.name)
            let described = WITTypeSchema.function(export, name: function)
            guard let interface else {
                roots.append(described)
                continue
            }
            if let index = interfaces.firstIndex(where: { $0.name == interface }) {
                interfaces[index].functions.append(described)
            } else {
                interfaces.append((interface, [described]))
            }
        }
        var object = JSONObject(["name": .string(app.name), "hostname": .string(app.hostname)])
        if !roots.isEmpty { object.append("functions", .array(roots)) }
        if !interfaces.isEmpty {
            object.append("interfaces", .array(interfaces.map { .object(["name": .string($0.name), "functions": .array($0.functions)]) }))
        }
        object.append("mcp_enabled", .bool(true))
        return .object(object)
    }

    /// `iface/fn` → (`iface`, `fn`); a root function → (nil, name). Function names never contain
    /// `/`; interface export names may (`wasi:cli/run@0.2.0`), so the last `/` separates them.
    static func split(_ exportName: String) -> (interface: String?, function: String) {
        guard let slash = exportName.lastIndex(of: "/") else { return (nil, exportName) }
        return (String(exportName[..<slash]), String(exportName[exportName.index(after: slash)...]))
    }
}
