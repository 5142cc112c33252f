/// What `--version` prints on every EnclaveOS command line: the release number and the git
/// commit the binary was built from (embedded at build time by GitCommitPlugin; `unknown` when
/// built outside a git checkout, `-dirty` when tracked files had uncommitted changes).
public enum BuildInfo {
    /// The EnclaveOS release number.
    public static let version = "0.1.0"
    /// The short git commit of the build.
    public static let commit = gitCommit

    /// `0.1.0 (commit 1a2b3c4d5e6f)`.
    public static var versionLine: String { "\(version) (commit \(commit))" }
}
