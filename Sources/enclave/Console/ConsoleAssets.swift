import Foundation

/// The console page, its script and style sheet, embedded at build time from
/// `Sources/enclave/Console/Assets` (EmbedFilesPlugin): no files beside the binary, no CDN.
enum ConsoleAssets {
    private static let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
                                "css": "text/css; charset=utf-8", "svg": "image/svg+xml"]

    /// The asset served at `path` (`/` is `index.html`), or nil.
    static func asset(at path: String) -> ConsoleResponse? {
        let name = path == "/" ? "index.html" : String(path.dropFirst())
        guard let file = EmbeddedFiles.console.first(where: { $0.path == name }),
              let bytes = Data(base64Encoded: file.base64) else { return nil }
        let type = types[String(name.split(separator: ".").last ?? "")] ?? "application/octet-stream"
        return ConsoleResponse(status: .ok, contentType: type, body: Array(bytes))
    }
}
