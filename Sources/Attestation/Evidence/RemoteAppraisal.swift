import Foundation

/// The original's optional remote appraisal, as its clients (Privasys ra-tls-clients) speak it:
/// `POST <url>` with `Content-Type: application/json`, the body `{"quote":"<standard base64>"}`
/// and, when configured, `Authorization: Bearer <token>`; the answer is
/// `{"status": "OK" | "TCB_OUT_OF_DATE" | …, "tcbStatus"?, "tcbDate"?, "advisoryIds"?: […]}`.
/// This type builds the request and judges the answer; the HTTPS transport lives in the client.
public enum RemoteAppraisal {
    /// The verdicts the original's clients know.
    public static let statuses = [
        "OK", "TCB_OUT_OF_DATE", "CONFIGURATION_NEEDED", "SW_HARDENING_NEEDED",
        "CONFIGURATION_AND_SW_HARDENING_NEEDED", "TCB_REVOKED", "TCB_EXPIRED", "PLATFORM_NOT_ALLOWED",
    ]
    /// An answer is a few hundred bytes; more is refused.
    public static let maxResponseSize = 64 * 1024

    /// The request body for `evidence`.
    public static func requestBody(evidence: [UInt8]) -> [UInt8] {
        Array("{\"quote\":\"\(Data(evidence).base64EncodedString())\"}".utf8)
    }

    /// Whether the answer is acceptable (its status is in `accepted`, never `TCB_REVOKED`), and why.
    public static func verdict(responseBody: [UInt8], accepted: [String] = ["OK"]) -> (accepted: Bool, detail: String) {
        guard responseBody.count <= maxResponseSize else { return (false, "answer larger than \(maxResponseSize) bytes") }
        guard let document = try? JSONSerialization.jsonObject(with: Data(responseBody)) as? [String: Any] else {
            return (false, "appraisal answer is not a JSON object")
        }
        guard let status = document["status"] as? String else { return (false, "appraisal answer has no \"status\" string") }
        var detail = "status \(status)"
        if let tcb = document["tcbStatus"] as? String, !tcb.isEmpty { detail += ", tcbStatus \(tcb)" }
        if let advisories = document["advisoryIds"] as? [String], !advisories.isEmpty {
            detail += ", advisories " + advisories.joined(separator: ", ")
        }
        guard statuses.contains(status) else { return (false, detail + " (not a status this client knows)") }
        return (status != "TCB_REVOKED" && accepted.contains(status), detail)
    }
}
