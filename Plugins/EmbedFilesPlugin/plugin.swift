import Foundation
import PackagePlugin

/// Embeds folders of text files into the `enclave` command as Swift source
/// (`EmbeddedFiles.swift`), so a release binary copied anywhere carries its app templates and
/// its web console without files beside it.
///
/// The folders: `Templates/` (the app templates of `enclave new`) and the target's
/// `Sources/<target>/Console/Assets/` (the console's HTML, CSS and JavaScript). Every file in them is an input,
/// so editing or adding one regenerates the Swift file at the next build.
@main
struct EmbedFilesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL
        let folders: [(name: String, url: URL)] = [
            ("templates", package.appending(path: "Templates")),
            ("console", package.appending(path: "Sources/\(target.name)/Console/Assets")),
        ]
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        let inputs = folders.flatMap { Self.files(under: $0.url) }
        let tool = try context.tool(named: "embed-files")
        return [
            .buildCommand(
                displayName: "Embedding templates and console assets into \(target.name)",
                executable: tool.url,
                arguments: [output.path()] + folders.flatMap { [$0.name, $0.url.path()] },
                inputFiles: inputs + folders.map(\.url),
                outputFiles: [output]
            ),
        ]
    }

    /// Every regular file below `folder` (the tool applies the same filter).
    static func files(under folder: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { url in
            (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
    }
}
