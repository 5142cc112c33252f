#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// Strings in the three canonical encodings (definitions.py `load_string` / `store_string`).
// The tagged length of latin1+utf16 marks UTF-16 content with bit 31.

extension CanonicalABI {
    static let utf16Tag: UInt32 = 1 << 31

    /// Lifts a string from `(pointer, tagged code-unit length)` in guest memory.
    static func loadString(_ access: GuestAccess, pointer: UInt32, length: UInt32) throws -> ComponentValue {
        switch access.encoding {
        case .utf8:
            try access.charge(Int(length))
            // Validated and copied straight out of guest memory: one pass, one copy.
            let string = try access.withBytes(Int(pointer), Int(length), "string") { raw in
                raw.withMemoryRebound(to: UInt8.self) { validUTF8($0) }
            }
            guard let string else { throw ComponentError.trap("string is not valid UTF-8") }
            return .string(string)
        case .utf16:
            return .string(try loadUTF16(access, pointer: pointer, units: length))
        case .latin1utf16:
            // The pointer of a latin1+utf16 string is 2-aligned whichever encoding it holds.
            try access.checkAlignment(Int(pointer), 2, "string")
            if length & utf16Tag != 0 {
                return .string(try loadUTF16(access, pointer: pointer, units: length ^ utf16Tag))
            }
            // Each Latin-1 byte is at most two bytes of UTF-8 on the host.
            try access.charge(2 * Int(length))
            let bytes = try access.readBytes(Int(pointer), Int(length), "string")
            return .string(String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })))
        }
    }

    /// `bytes` as a string if they are valid UTF-8, else nil: what `String(validating:as:)`
    /// answers, without its cost. That initializer is generic in the standard library and not
    /// specialised here, so every string lifted paid a run-time generic metadata look-up (a lock)
    /// on top of the validation: a profile of `kv-read` showed it at about 0.3 µs of a call.
    /// Decoding replaces each invalid sequence with U+FFFD, itself valid UTF-8, so the decoded
    /// bytes equal the input exactly when the input was valid.
    static func validUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var string = String(decoding: bytes, as: UTF8.self)
        let unchanged = string.withUTF8 { decoded in
            decoded.count == bytes.count
                && (bytes.isEmpty || memcmp(decoded.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        return unchanged ? string : nil
    }

    private static func loadUTF16(_ access: GuestAccess, pointer: UInt32, units: UInt32) throws -> String {
        try access.checkAlignment(Int(pointer), 2, "string")
        let byteCount = Int(units) * 2
        // Each UTF-16 code unit is at most three bytes of UTF-8 on the host.
        try access.charge(3 * Int(units))
        let codeUnits = try access.withBytes(Int(pointer), byteCount, "string") { raw in
            (0..<Int(units)).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        }
        guard let string = String(validating: codeUnits, as: UTF16.self) else {
            throw ComponentError.trap("string is not valid UTF-16")
        }
        return string
    }

    /// Stores a string into freshly allocated guest memory; returns (pointer, tagged length).
    static func storeString(_ access: GuestAccess, _ string: String) throws -> (UInt32, UInt32) {
        switch access.encoding {
        case .utf8:
            var string = string
            // A native string's UTF-8 is contiguous: copied into the guest without an array.
            return try string.withUTF8 { bytes in
                let pointer = try access.allocate(size: bytes.count, alignment: 1, "string")
                try access.writeBytes(pointer, UnsafeRawBufferPointer(bytes), "string")
                return (UInt32(pointer), UInt32(bytes.count))
            }
        case .utf16:
            return try storeUTF16(access, string, tag: 0)
        case .latin1utf16:
            guard string.unicodeScalars.allSatisfy({ $0.value <= 0xff }) else {
                return try storeUTF16(access, string, tag: utf16Tag)
            }
            let bytes = string.unicodeScalars.map { UInt8($0.value) }
            let pointer = try access.allocate(size: bytes.count, alignment: 2, "string")
            try access.writeBytes(pointer, bytes, "string")
            return (UInt32(pointer), UInt32(bytes.count))
        }
    }

    private static func storeUTF16(_ access: GuestAccess, _ string: String, tag: UInt32) throws -> (UInt32, UInt32) {
        let units = Array(string.utf16)
        guard UInt32(units.count) < utf16Tag else { throw ComponentError.trap("string too long for the guest") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(units.count * 2)
        for unit in units { bytes += [UInt8(truncatingIfNeeded: unit), UInt8(truncatingIfNeeded: unit >> 8)] }
        let pointer = try access.allocate(size: bytes.count, alignment: 2, "string")
        try access.writeBytes(pointer, bytes, "string")
        return (UInt32(pointer), UInt32(units.count) | tag)
    }
}
