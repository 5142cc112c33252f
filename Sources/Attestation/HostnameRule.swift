/// What a TLS server name can be, so a certificate can carry it (a SAN dNSName, IA5String) and a
/// client can ask for it with SNI (RFC 6066 `host_name`): ASCII letters, digits, `-`, `.` and
/// `_` (which some app names use), labels of 1...63 bytes, 253 bytes in all, and not an IPv4
/// address (RFC 6066 forbids literal addresses in SNI, so no client would send it).
///
/// The one rule for app hostnames: checked when an app is loaded (so a name that cannot be
/// served is refused with the reason) and again when its certificate is made.
public enum HostnameRule {
    /// The longest host name: 253 bytes (RFC 1035 without the trailing dot).
    public static let maxBytes = 253
    /// The longest label.
    public static let maxLabelBytes = 63

    /// Why `name` cannot be a TLS server name, or nil when it can.
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { return "it is empty" }
        guard bytes.count <= maxBytes else { return "it is \(bytes.count) bytes long; a DNS name has at most \(maxBytes)" }
        if let bad = bytes.first(where: { !isAllowed($0) }) {
            return bad < 0x80 && bad >= 0x20 && bad < 0x7F
                ? "'\(Character(Unicode.Scalar(bad)))' is not allowed in a DNS name (letters, digits, '-', '_' and '.' only)"
                : "it contains a byte (0x\(String(bad, radix: 16))) that is not allowed in a DNS name (letters, digits, '-', '_' and '.' only)"
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.contains(where: \.isEmpty) { return "it has an empty label (a leading, trailing or doubled '.')" }
        if let long = labels.first(where: { $0.utf8.count > maxLabelBytes }) {
            return "its label '\(long.prefix(16))…' is \(long.utf8.count) bytes long; a DNS label has at most \(maxLabelBytes)"
        }
        if labels.count == 4, labels.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }) {
            return "it is an IP address, which TLS clients do not send as a server name (SNI)"
        }
        return nil
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
