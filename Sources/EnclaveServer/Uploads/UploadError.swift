/// Why an upload step was refused; `description` is the `{"status":"error"}` message and names
/// the field, the limit, and what to do.
public enum UploadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `field` names what declared the size (`wasm_load_begin.size`, `wasm_load.bytes`).
    case tooLarge(size: Int, limit: Int, field: String = "wasm_load_begin.size")
    case tooManyUploads(limit: Int)
    case overBudget(size: Int, held: Int, limit: Int)
    case outOfMemory(size: Int)
    case unknownUpload(String, timeoutSeconds: Int?)
    case wrongOffset(expected: Int, got: Int)
    case pastEnd(offset: Int, count: Int, size: Int)
    case incomplete(received: Int, size: Int)
    case hashMismatch(declared: String, actual: String)

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit, let field):
            return "\(field): \(size) bytes exceeds this server's component limit of \(limit) bytes "
                + "(\(Self.mebibytes(limit)) MiB); the operator can raise it with enclave-os --max-component-mib"
        case .tooManyUploads(let limit):
            return "wasm_load_begin: \(limit) uploads are already in progress, the most this server holds at once; "
                + "retry when one has finished or expired"
        case .overBudget(let size, let held, let limit):
            return "wasm_load_begin: uploads in progress hold \(held) of this server's \(limit) upload bytes; "
                + "\(size) more do not fit; retry when one has finished or expired (enclave-os --max-upload-mib)"
        case .outOfMemory(let size):
            return "wasm_load_begin: the server could not reserve \(size) bytes for the upload"
        case .unknownUpload(let id, let timeout?):
            return "unknown upload '\(id)': it was committed or aborted, or expired after \(timeout) s without a chunk"
        case .unknownUpload(let id, nil):
            return "unknown upload '\(id)': it was committed, aborted or expired"
        case .wrongOffset(let expected, let got):
            return "wasm_load_chunk.offset: expected \(expected), got \(got) (chunks are sent in order, each starting where the last ended)"
        case .pastEnd(let offset, let count, let size):
            return "wasm_load_chunk: \(count) bytes at offset \(offset) go past the declared size of \(size) bytes"
        case .incomplete(let received, let size):
            return "wasm_load_commit: only \(received) of the declared \(size) bytes were received"
        case .hashMismatch(let declared, let actual):
            return "wasm_load_commit: the bytes received hash to \(actual), not the declared sha256 \(declared); the upload is discarded"
        }
    }

    private static func mebibytes(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20)" : String(Double(bytes) / Double(1 << 20))
    }
}
