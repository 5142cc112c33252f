import Foundation
import SwiftASN1

/// Small readers over SwiftASN1 nodes for the structures swift-certificates does not model:
/// CRLs, Intel's SGX extension and RSASSA-PSS-signed AMD certificates.
enum DERFields {
    /// The children of a constructed node; throws naming `what` for a primitive one.
    static func children(_ node: ASN1Node, _ what: String) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else {
            throw EvidenceLayoutError("\(what) is not a constructed ASN.1 value")
        }
        return Array(nodes)
    }

    /// The content bytes of a primitive node.
    static func primitive(_ node: ASN1Node, _ what: String) throws -> [UInt8] {
        guard case .primitive(let bytes) = node.content else {
            throw EvidenceLayoutError("\(what) is not a primitive ASN.1 value")
        }
        return Array(bytes)
    }

    /// A UTCTime or GeneralizedTime as a date.
    static func time(_ node: ASN1Node) throws -> Date {
        var components = DateComponents()
        switch node.identifier {
        case .utcTime:
            let time = try UTCTime(derEncoded: node)
            (components.year, components.month, components.day) = (time.year, time.month, time.day)
            (components.hour, components.minute, components.second) = (time.hours, time.minutes, time.seconds)
        case .generalizedTime:
            let time = try GeneralizedTime(derEncoded: node)
            (components.year, components.month, components.day) = (time.year, time.month, time.day)
            (components.hour, components.minute, components.second) = (time.hours, time.minutes, time.seconds)
        default:
            throw EvidenceLayoutError("expected a UTCTime or GeneralizedTime, found \(node.identifier)")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        guard let date = calendar.date(from: components) else {
            throw EvidenceLayoutError("time \(components) is not a calendar date")
        }
        return date
    }

    /// An INTEGER that fits in `Int`.
    static func integer(_ node: ASN1Node, _ what: String) throws -> Int {
        do {
            return try Int(derEncoded: node)
        } catch {
            throw EvidenceLayoutError("\(what) is not a small INTEGER")
        }
    }

    /// `{ OID, value }` pairs of a SEQUENCE OF SEQUENCE, as Intel's SGX extension nests them.
    static func oidValuePairs(_ node: ASN1Node, _ what: String) throws -> [(ASN1ObjectIdentifier, ASN1Node)] {
        try children(node, what).map { pair in
            let parts = try children(pair, what)
            guard parts.count >= 2 else { throw EvidenceLayoutError("\(what): an entry has no value") }
            return (try ASN1ObjectIdentifier(derEncoded: parts[0]), parts[1])
        }
    }
}
