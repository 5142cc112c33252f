// Egress probe: a test guest that calls `privasys:enclave-os/https.fetch` with any method and
// URL and describes the outcome as one string, so tests can drive every egress error path
// through a real component. Built twice, once per WIT shape of `fetch` (Positional.swift,
// Record.swift); both shapes share the result layout read here. Guest memory and text helpers
// are the reference app's (Memory.swift, Text.swift).

/// Describes `result<(status, headers, body), string>` as laid out by both shapes:
/// tag u8 @0; ok: status u16 @4, headers (ptr @8, len @12), body (ptr @16, len @20);
/// err: message (ptr @4, len @8).
func describe(_ area: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
    var text = Bytes()
    if area.load(fromByteOffset: 0, as: UInt8.self) != 0 {
        text.append("error: ")
        text.append(loadPointer(area, 4), Int(area.load(fromByteOffset: 8, as: UInt32.self)))
        return returnString(text)
    }
    let bodyCount = Int(area.load(fromByteOffset: 20, as: UInt32.self))
    text.append("HTTP ")
    text.append(decimal: UInt64(area.load(fromByteOffset: 4, as: UInt16.self)))
    text.append(", ")
    text.append(decimal: UInt64(area.load(fromByteOffset: 12, as: UInt32.self)))
    text.append(" headers, ")
    text.append(decimal: UInt64(bodyCount))
    text.append(" bytes: ")
    text.append(loadPointer(area, 16), min(bodyCount, 48))
    return returnString(text)
}
