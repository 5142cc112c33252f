/// The named values a verified report body carries, raw as they sit in the evidence (integers
/// little-endian). A policy pins any of them by name (docs/attestation.md lists them).
enum MeasuredValues {
    /// SGX report body (also the QE report).
    static func sgx(_ body: [UInt8]) -> [Measurement] {
        [
            value("MRENCLAVE", body, 64, 32), value("MRSIGNER", body, 128, 32),
            value("ISVPRODID", body, 256, 2), value("ISVSVN", body, 258, 2),
            value("ATTRIBUTES", body, 48, 16), value("MISCSELECT", body, 16, 4),
            value("CPUSVN", body, 0, 16), value("CONFIGID", body, 192, 64),
        ]
    }

    /// TD report body, TDX 1.0 or 1.5.
    static func td(_ body: [UInt8]) -> [Measurement] {
        var values = [value("MRTD", body, 136, 48)]
        values += (0 ..< 4).map { value("RTMR\($0)", body, 328 + 48 * $0, 48) }
        values += [
            value("MRSEAM", body, 16, 48), value("MRSIGNERSEAM", body, 64, 48),
            value("SEAM_ATTRIBUTES", body, 112, 8), value("TD_ATTRIBUTES", body, 120, 8),
            value("XFAM", body, 128, 8), value("MRCONFIGID", body, 184, 48),
            value("MROWNER", body, 232, 48), value("MROWNERCONFIG", body, 280, 48),
            value("TEE_TCB_SVN", body, 0, 16),
        ]
        if body.count == DCAPQuote.Body.td15.size {
            values += [value("TEE_TCB_SVN2", body, 584, 16), value("MRSERVICETD", body, 600, 48)]
        }
        return values
    }

    /// SEV-SNP attestation report.
    static func snp(_ report: [UInt8]) -> [Measurement] {
        [
            value("MEASUREMENT", report, 0x90, 48), value("HOST_DATA", report, 0xC0, 32),
            value("ID_KEY_DIGEST", report, 0xE0, 48), value("AUTHOR_KEY_DIGEST", report, 0x110, 48),
            value("FAMILY_ID", report, 0x10, 16), value("IMAGE_ID", report, 0x20, 16),
            value("GUEST_SVN", report, 0x04, 4), value("POLICY", report, 0x08, 8),
            value("VMPL", report, 0x30, 4), value("REPORTED_TCB", report, 0x180, 8),
            value("CHIP_ID", report, 0x1A0, 64),
        ]
    }

    private static func value(_ name: String, _ bytes: [UInt8], _ offset: Int, _ length: Int) -> Measurement {
        Measurement(name: name, value: Array(bytes[offset ..< offset + length]))
    }
}
