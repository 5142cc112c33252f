/// A source of attestation evidence: the only part of the server that differs
/// between a simulated run, Gramine SGX and a TDX/SEV-SNP confidential VM.
public protocol AttestationProvider: Sendable {
    /// Which backend this is (the `--attestation` name).
    var kind: AttestationKind { get }
    /// Whether the evidence comes from TEE hardware. False for ``SimulatedProvider``:
    /// callers must never present simulated evidence as hardware attestation.
    var isHardware: Bool { get }
    /// Produces evidence whose report data field equals `reportData`.
    /// - Parameter reportData: exactly 64 bytes, normally ``ReportData/bytes``.
    /// - Throws: ``AttestationError`` when the length is wrong or the device fails.
    func evidence(reportData: [UInt8]) throws -> Evidence
}

extension AttestationProvider {
    /// Throws unless `reportData` is the 64 bytes every TEE report carries.
    func checkReportDataLength(_ reportData: [UInt8]) throws {
        guard reportData.count == ReportData.length else {
            throw AttestationError.invalidReportDataLength(reportData.count)
        }
    }
}
