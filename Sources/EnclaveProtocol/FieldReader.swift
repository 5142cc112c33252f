/// Reads fields of a management message body, producing errors that name the field
/// (`wasm_load.name: expected a string`).
struct FieldReader {
    /// Names longer than this are refused: they end up in certificates, logs and lists.
    static let maxNameBytes = 255

    let body: JSON
    let message: String

    init(_ body: JSON, _ message: String) throws(ManagementError) {
        guard body.objectValue != nil else { throw ManagementError("\(message): expected an object") }
        self.body = body
        self.message = message
    }

    func error(_ field: String, _ what: String) -> ManagementError {
        ManagementError("\(message).\(field): \(what)")
    }

    func requiredString(_ field: String) throws(ManagementError) -> String {
        guard let value = body[field] else { throw error(field, "missing (expected a string)") }
        guard let s = value.stringValue else { throw error(field, "expected a string") }
        return s
    }

    /// A name: a non-empty string of at most 255 bytes without control characters.
    func requiredName(_ field: String) throws(ManagementError) -> String {
        let s = try requiredString(field)
        guard !s.isEmpty else { throw error(field, "must not be empty") }
        guard s.utf8.count <= Self.maxNameBytes else { throw error(field, "longer than \(Self.maxNameBytes) bytes") }
        guard !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw error(field, "contains control characters")
        }
        return s
    }

    func optionalString(_ field: String) throws(ManagementError) -> String? {
        switch body[field] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw error(field, "expected a string")
        }
    }

    /// `app_auth`: a string of at most `ManagementEnvelope.maxCredentialBytes` bytes.
    func optionalAppAuth() throws(ManagementError) -> String? {
        guard let token = try optionalString("app_auth") else { return nil }
        guard token.utf8.count <= ManagementEnvelope.maxCredentialBytes else {
            throw error("app_auth", "longer than \(ManagementEnvelope.maxCredentialBytes) bytes")
        }
        return token
    }

    func optionalBool(_ field: String) throws(ManagementError) -> Bool? {
        switch body[field] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw error(field, "expected true or false")
        }
    }

    func optionalUInt64(_ field: String) throws(ManagementError) -> UInt64? {
        switch body[field] {
        case nil, .null?: return nil
        case .number(let n)? where n.uint64 != nil: return n.uint64
        default: throw error(field, "expected a non-negative integer")
        }
    }
}
