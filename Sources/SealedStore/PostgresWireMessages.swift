import NIOCore
import PostgresNIO

/// PostgreSQL protocol 3.0 messages, as bytes: what `PostgresWireConnection` sends (built into
/// one buffer, so a statement's messages go out in one write) and a bounds-checked reader of
/// what it receives. Everything received comes from the database's host, which the enclave does
/// not trust: every length is checked before it is used, and a short or malformed message is an
/// error naming it, never a crash.
enum PostgresWireMessages {
    /// Largest message accepted from the server. The commit's answer is a few rows; a longer
    /// message is a broken or hostile server, and would otherwise make us allocate what it says.
    static let maxMessageBytes = 64 << 20
    /// Memory a received cell costs beyond its bytes (an array of its own), counted against
    /// `maxMessageBytes` for a statement's rows.
    static let cellOverheadBytes = 64
    /// Largest message PostgreSQL takes from a client (a Bind carrying a commit's rows), its
    /// length field included: `PQ_LARGE_MESSAGE_LIMIT`, `MaxAllocSize` (1 GiB less one byte)
    /// less one; a longer one is refused after it was sent.
    static let maxOutgoingMessageBytes = (1 << 30) - 2
    /// Most parameters one statement binds (their count is an int16 on the wire).
    static let maxParameters = Int(Int16.max)

    /// Protocol version 3.0, the first field of the startup message.
    static let protocolVersion: Int32 = 196_608

    /// Bytes of messages to send.
    struct Writer {
        private(set) var bytes: [UInt8] = []

        /// Appends a message: its type byte (none for the startup message), its length, then
        /// what `body` appends.
        mutating func message(_ type: Character?, _ body: (inout Writer) -> Void) {
            if let type, let ascii = type.asciiValue { bytes.append(ascii) }
            let lengthAt = bytes.count
            int32(0)
            body(&self)
            let length = Int32(truncatingIfNeeded: bytes.count - lengthAt)
            withUnsafeBytes(of: length.bigEndian) { bytes.replaceSubrange(lengthAt..<lengthAt + 4, with: $0) }
        }

        /// Makes room for `count` bytes in all, so appending up to that copies nothing again.
        mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }

        mutating func int32(_ value: Int32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        mutating func int16(_ value: Int16) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        mutating func byte(_ value: UInt8) { bytes.append(value) }
        mutating func raw<S: Sequence>(_ value: S) where S.Element == UInt8 { bytes.append(contentsOf: value) }

        /// A NUL-terminated string (PostgreSQL's `String`).
        mutating func cString(_ text: String) {
            bytes.append(contentsOf: text.utf8)
            bytes.append(0)
        }
    }

    /// Reads the fields of one received message body.
    struct Reader {
        private let bytes: [UInt8]
        private var offset = 0
        /// The message's name, for errors ("ErrorResponse").
        let what: String

        init(_ bytes: [UInt8], what: String) {
            self.bytes = bytes
            self.what = what
        }

        /// Whether every byte was read.
        var atEnd: Bool { offset == bytes.count }

        mutating func int32() throws(Malformed) -> Int32 {
            let field = try take(4)
            return field.reduce(0) { $0 << 8 | Int32($1) }
        }

        mutating func int16() throws(Malformed) -> Int16 {
            let field = try take(2)
            return field.reduce(0) { $0 << 8 | Int16($1) }
        }

        mutating func byte() throws(Malformed) -> UInt8 {
            // A slice keeps its base's indices: `first`, never `[0]`.
            guard let byte = try take(1).first else { throw Malformed(text: "\(what) is truncated") }
            return byte
        }

        /// `count` bytes; a negative or too large count is malformed.
        mutating func take(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.count - offset else {
                throw Malformed(text: "\(what) is truncated (wanted \(count) more bytes, \(bytes.count - offset) left)")
            }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        /// The rest of the message.
        mutating func rest() -> ArraySlice<UInt8> {
            defer { offset = bytes.count }
            return bytes[offset...]
        }

        /// A NUL-terminated string (invalid UTF-8 is replaced, never trusted).
        mutating func cString() throws(Malformed) -> String {
            guard let end = bytes[offset...].firstIndex(of: 0) else {
                throw Malformed(text: "\(what) has a string without its terminating NUL")
            }
            defer { offset = end + 1 }
            return String(decoding: bytes[offset..<end], as: UTF8.self)
        }
    }

    /// A received message that does not parse.
    struct Malformed: Error { let text: String }

    /// The fields of an ErrorResponse or NoticeResponse, by their one-byte code.
    static func fields(_ body: [UInt8], what: String) throws(Malformed) -> [UInt8: String] {
        var reader = Reader(body, what: what)
        var fields: [UInt8: String] = [:]
        while true {
            let code = try reader.byte()
            if code == 0 { return fields }
            fields[code] = try reader.cString()
        }
    }

    /// A DataRow's cells (nil: SQL NULL).
    static func dataRow(_ body: [UInt8]) throws(Malformed) -> [[UInt8]?] {
        var reader = Reader(body, what: "DataRow")
        let count = try reader.int16()
        guard count >= 0 else { throw Malformed(text: "DataRow has \(count) columns") }
        var cells: [[UInt8]?] = []
        cells.reserveCapacity(Int(count))
        for _ in 0..<count {
            let length = try reader.int32()
            cells.append(length == -1 ? nil : Array(try reader.take(Int(length))))
        }
        guard reader.atEnd else { throw Malformed(text: "DataRow has bytes after its last column") }
        return cells
    }

    /// Why a statement binding `parameters` cannot be sent (nil: it can): its Bind message would
    /// be longer than `limit`, or it has more parameters than the wire can count. Checked before
    /// anything is sent, so that no length is truncated into a different message.
    static func unsendable(_ parameters: [PostgresBinaryParameter], limit: Int = maxOutgoingMessageBytes) -> String? {
        guard parameters.count <= maxParameters else {
            return "the statement has \(parameters.count) parameters; the protocol counts at most \(maxParameters)"
        }
        // The Bind's fixed fields and our statement names are well under 128 bytes.
        let bytes = parameters.reduce(128) { $0 + 4 + ($1.value?.count ?? 0) }
        guard bytes <= limit else {
            return "the statement's parameters take \(bytes) bytes; PostgreSQL takes at most \(limit) in one message"
        }
        return nil
    }

    /// One statement of a pipeline: its prepared name, its text (parsed only when `prepare`) and
    /// its binary parameters.
    struct Statement {
        var name: String
        var sql: String
        var prepare: Bool
        var parameters: [PostgresBinaryParameter]
    }

    /// The statements' messages in one buffer: per statement Parse (only when `prepare`), Bind
    /// (binary parameters, binary results) and Execute, then one Sync. The database runs them in
    /// order as one implicit transaction, committed at the Sync (or, after an error, rolled
    /// back: it skips to the Sync). `unsendable` must be nil for each statement's parameters.
    static func pipeline(_ statements: [Statement]) -> [UInt8] {
        var writer = Writer()
        // Sized up front: a group commit's Bind carries every row, and growing the buffer by
        // doubling would copy it several times (the fixed fields are well under 64 bytes).
        writer.reserve(statements.reduce(5) { total, statement in
            let name = statement.name.utf8.count
            return total + 64 + (statement.prepare ? name + statement.sql.utf8.count + 4 * statement.parameters.count : 0)
                + 2 * name + statement.parameters.reduce(0) { $0 + 4 + ($1.value?.count ?? 0) }
        })
        for statement in statements { append(statement, to: &writer) }
        writer.message("S") { _ in }
        return writer.bytes
    }

    /// `statement`'s Parse (when it is prepared now), Bind and Execute.
    private static func append(_ statement: Statement, to writer: inout Writer) {
        let (name, parameters) = (statement.name, statement.parameters)
        if statement.prepare {
            writer.message("P") { body in
                body.cString(name)
                body.cString(statement.sql)
                body.int16(Int16(truncatingIfNeeded: parameters.count))
                for parameter in parameters { body.int32(Int32(bitPattern: parameter.typeOID)) }
            }
        }
        writer.message("B") { body in
            body.cString("")  // the unnamed portal
            body.cString(name)
            body.int16(1)  // one format code for every parameter:
            body.int16(1)  // binary
            body.int16(Int16(truncatingIfNeeded: parameters.count))
            for parameter in parameters {
                guard let value = parameter.value else {
                    body.int32(-1)
                    continue
                }
                body.int32(Int32(truncatingIfNeeded: value.count))
                body.raw(value)
            }
            body.int16(1)  // every result column binary
            body.int16(1)
        }
        writer.message("E") { body in
            body.cString("")
            body.int32(0)  // all rows
        }
    }

    /// The startup message: protocol 3.0 and `parameters` (user, database, settings).
    static func startup(_ parameters: [(String, String)]) -> [UInt8] {
        var writer = Writer()
        writer.message(nil) { body in
            body.int32(protocolVersion)
            for (name, value) in parameters {
                body.cString(name)
                body.cString(value)
            }
            body.byte(0)
        }
        return writer.bytes
    }

    /// A PasswordMessage, SASLInitialResponse or SASLResponse (all type 'p').
    static func password(_ body: (inout Writer) -> Void) -> [UInt8] {
        var writer = Writer()
        writer.message("p", body)
        return writer.bytes
    }

    /// Terminate: the polite goodbye before closing.
    static let terminate: [UInt8] = [UInt8(ascii: "X"), 0, 0, 0, 4]
}

/// A statement parameter in binary format: its type's OID and its bytes (nil: SQL NULL). What
/// the commit's statement is built as, and what `PostgresWireConnection` sends as is; the
/// PostgresNIO path (`sslmode=require`) takes it as `postgresData`.
struct PostgresBinaryParameter: Sendable, Equatable {
    /// `bytea`, `bytea[]`, `text`, `int4` and `int4[]`, as in `pg_type`.
    static let byteaOID: UInt32 = 17, byteaArrayOID: UInt32 = 1001, textOID: UInt32 = 25
    static let int4OID: UInt32 = 23, int4ArrayOID: UInt32 = 1007

    let typeOID: UInt32
    let value: [UInt8]?

    init(typeOID: UInt32, value: [UInt8]?) {
        self.typeOID = typeOID
        self.value = value
    }

    /// A parameter PostgresNIO built (binary format), as the wire client sends it.
    init(_ data: PostgresData) {
        self.init(typeOID: data.type.rawValue, value: data.value.map { Array($0.readableBytesView) })
    }

    /// A `bytea` parameter.
    static func bytes(_ value: [UInt8]) -> Self { Self(typeOID: byteaOID, value: value) }

    /// A `text` parameter (UTF-8, which is also its binary format).
    static func text(_ value: String) -> Self { Self(typeOID: textOID, value: Array(value.utf8)) }

    /// An `int4[]` parameter (`PostgresBinaryArray`: each element its length, 4, and its
    /// big-endian value).
    static func int4Array(_ values: [Int32]) -> Self {
        var array = PostgresBinaryArray(element: int4OID, array: int4ArrayOID, capacity: 8 * values.count)
        for value in values { withUnsafeBytes(of: value.bigEndian) { array.append($0) } }
        return array.finish()
    }

    /// The same parameter for PostgresNIO.
    var postgresData: PostgresData {
        PostgresData(type: PostgresDataType(typeOID), formatCode: .binary, value: value.map { ByteBuffer(bytes: $0) })
    }
}

/// A one-dimensional array parameter built in PostgreSQL's binary array format, element by
/// element, with no buffer per element: ndim (1, or 0 when empty), has-nulls flag (0), the
/// element type's OID, then for a non-empty array its length and lower bound (1), then per
/// element its int32 length and bytes (in the element type's binary format). For `bytea[]`
/// (the default) the same bytes as PostgresNIO's encoding of `[ByteBuffer]`; for `int4[]`, of
/// `[Int32]`.
struct PostgresBinaryArray {
    /// The header of a non-empty array: five int32 fields.
    private static let headerBytes = 20
    private let elementOID: UInt32
    private let arrayOID: UInt32
    private var bytes: [UInt8]
    private var count: Int32 = 0

    /// An empty array of `element`s (type `array`) with room for `capacity` bytes of elements
    /// (their bytes and lengths).
    init(element: UInt32 = PostgresBinaryParameter.byteaOID, array: UInt32 = PostgresBinaryParameter.byteaArrayOID,
         capacity: Int = 0) {
        elementOID = element
        arrayOID = array
        bytes = []
        bytes.reserveCapacity(Self.headerBytes + capacity)
        bytes.append(contentsOf: repeatElement(0, count: Self.headerBytes))
    }

    mutating func append(_ element: some Collection<UInt8>) {
        Self.appendInt32(Int32(truncatingIfNeeded: element.count), to: &bytes)
        bytes.append(contentsOf: element)
        count += 1
    }

    /// The finished parameter. Called once, last: the bytes move out, uncopied.
    mutating func finish() -> PostgresBinaryParameter {
        guard count > 0 else {
            var empty: [UInt8] = []
            for field in [0, 0, Int32(bitPattern: elementOID)] { Self.appendInt32(field, to: &empty) }
            return PostgresBinaryParameter(typeOID: arrayOID, value: empty)
        }
        let (count, elementOID) = (count, elementOID)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Int32(1).bigEndian, toByteOffset: 0, as: Int32.self)
            raw.storeBytes(of: Int32(0).bigEndian, toByteOffset: 4, as: Int32.self)
            raw.storeBytes(of: Int32(bitPattern: elementOID).bigEndian, toByteOffset: 8, as: Int32.self)
            raw.storeBytes(of: count.bigEndian, toByteOffset: 12, as: Int32.self)
            raw.storeBytes(of: Int32(1).bigEndian, toByteOffset: 16, as: Int32.self)
        }
        var value: [UInt8] = []
        swap(&value, &bytes)
        self.count = 0
        return PostgresBinaryParameter(typeOID: arrayOID, value: value)
    }

    private static func appendInt32(_ value: Int32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
