/// The streamed load (our extension, see docs/protocol.md): a component too large for one frame
/// is announced with `wasm_load_begin`, sent in `wasm_load_chunk`s and loaded by
/// `wasm_load_commit`, each a management message inside `Data` with its own response.
public enum UploadMessage: Hashable, Sendable {
    case begin(UploadBegin)
    case chunk(UploadChunk)
    case commit(upload: String)
    case abort(upload: String)

    /// The message keys, in the order they are checked.
    public static let messageKeys = ["wasm_load_begin", "wasm_load_chunk", "wasm_load_commit", "wasm_load_abort"]

    /// Decodes the body of `key` (one of `messageKeys`); nil for any other key.
    static func decode(key: String, body: JSON) throws(ManagementError) -> UploadMessage? {
        switch key {
        case "wasm_load_begin": return .begin(try UploadBegin(body))
        case "wasm_load_chunk": return .chunk(try UploadChunk(body))
        case "wasm_load_commit": return .commit(upload: try FieldReader(body, key).requiredUploadID())
        case "wasm_load_abort": return .abort(upload: try FieldReader(body, key).requiredUploadID())
        default: return nil
        }
    }

    /// The `{"<key>":{…}}` document.
    public func json() -> JSON {
        switch self {
        case .begin(let begin): return .object(["wasm_load_begin": begin.json()])
        case .chunk(let chunk): return .object(["wasm_load_chunk": chunk.json()])
        case .commit(let id): return .object(["wasm_load_commit": .object(["upload": .string(id)])])
        case .abort(let id): return .object(["wasm_load_abort": .object(["upload": .string(id)])])
        }
    }
}

/// `wasm_load_begin`: what `wasm_load` says about the app, with the size and SHA-256 of the
/// component instead of its bytes.
public struct UploadBegin: Hashable, Sendable {
    public var name: String
    /// Exact size of the component in bytes.
    public var size: Int
    /// Lowercase hex SHA-256 of the component (upper case is accepted and lowered).
    public var sha256: String
    public var hostname: String?
    public var encryptionKey: String?
    public var maxFuel: UInt64?
    /// As `wasm_load.replace`: the commit upgrades the app of that name, keeping its key and data.
    public var replace: Bool
    /// As `wasm_load.app_auth`.
    public var appAuth: String?

    public init(name: String, size: Int, sha256: String, hostname: String? = nil, encryptionKey: String? = nil,
                maxFuel: UInt64? = nil, replace: Bool = false, appAuth: String? = nil) {
        self.replace = replace
        self.appAuth = appAuth
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.hostname = hostname
        self.encryptionKey = encryptionKey
        self.maxFuel = maxFuel
    }

    init(_ body: JSON) throws(ManagementError) {
        let fields = try FieldReader(body, "wasm_load_begin")
        name = try fields.requiredName("name")
        guard let size = try fields.optionalUInt64("size") else {
            throw fields.error("size", "missing (expected the component's size in bytes)")
        }
        guard size > 0 else { throw fields.error("size", "must be at least 1 byte") }
        guard size <= UInt64(Int.max) else { throw fields.error("size", "\(size) bytes is beyond any upload") }
        self.size = Int(size)
        let hash = try fields.requiredString("sha256").lowercased()
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw fields.error("sha256", "expected 64 hex digits (the SHA-256 of the component)")
        }
        sha256 = hash
        hostname = try fields.optionalString("hostname")
        encryptionKey = try fields.optionalString("encryption_key")
        maxFuel = try fields.optionalUInt64("max_fuel")
        replace = try fields.optionalBool("replace") ?? false
        appAuth = try fields.optionalAppAuth()
    }

    func json() -> JSON {
        var object = JSONObject(["name": .string(name), "size": .uint(UInt64(size)), "sha256": .string(sha256)])
        if let hostname { object.append("hostname", .string(hostname)) }
        if let encryptionKey { object.append("encryption_key", .string(encryptionKey)) }
        if let maxFuel { object.append("max_fuel", .uint(maxFuel)) }
        if replace { object.append("replace", .bool(true)) }
        if let appAuth { object.append("app_auth", .string(appAuth)) }
        return .object(object)
    }
}

/// `wasm_load_chunk`: the bytes at `offset` of an upload; chunks are sent in order.
public struct UploadChunk: Hashable, Sendable {
    public var upload: String
    public var offset: Int
    public var bytes: [UInt8]

    public init(upload: String, offset: Int, bytes: [UInt8]) {
        self.upload = upload
        self.offset = offset
        self.bytes = bytes
    }

    init(_ body: JSON) throws(ManagementError) {
        let fields = try FieldReader(body, "wasm_load_chunk")
        upload = try fields.requiredUploadID()
        guard let offset = try fields.optionalUInt64("offset") else {
            throw fields.error("offset", "missing (expected the byte offset of this chunk)")
        }
        guard offset <= UInt64(Int32.max) else { throw fields.error("offset", "\(offset) is beyond any upload") }
        self.offset = Int(offset)
        switch body["bytes"] {
        case .string(let text)?:
            guard let decoded = Base64.decode(text) else { throw fields.error("bytes", "not valid base64") }
            bytes = decoded
        case let value? where value.byteArray() != nil:
            bytes = value.byteArray() ?? []
        case nil:
            throw fields.error("bytes", "missing (expected a base64 string)")
        default:
            throw fields.error("bytes", "expected a base64 string or an array of integers 0-255")
        }
        guard !bytes.isEmpty else { throw fields.error("bytes", "an empty chunk carries nothing") }
    }

    func json() -> JSON {
        .object(["upload": .string(upload), "offset": .uint(UInt64(offset)), "bytes": .string(Base64.encode(bytes))])
    }
}

/// The answer to `wasm_load_begin`: where to send the chunks.
public struct UploadTicket: Hashable, Sendable {
    /// The upload's id, used by every later message.
    public var upload: String
    /// The chunk size the server suggests (raw bytes); larger chunks are refused if their frame
    /// would exceed the frame limit.
    public var chunkSize: Int
    /// Seconds without a chunk after which the server forgets the upload.
    public var timeoutSeconds: Int

    public init(upload: String, chunkSize: Int, timeoutSeconds: Int) {
        self.upload = upload
        self.chunkSize = chunkSize
        self.timeoutSeconds = timeoutSeconds
    }
}

extension FieldReader {
    /// Upload ids are short tokens the server made; anything longer is not one of ours.
    func requiredUploadID() throws(ManagementError) -> String {
        let id = try requiredString("upload")
        guard !id.isEmpty, id.utf8.count <= 64 else { throw error("upload", "not an upload id") }
        return id
    }
}
