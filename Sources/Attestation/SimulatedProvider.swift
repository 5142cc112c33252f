/// Evidence for machines without a TEE: ASCII `MOCK_QUOTE:` ‖ report data.
///
/// This proves nothing about the code that runs. It exists so the whole server
/// (certificates, binding, verification) works identically without hardware; the
/// mock form is the original's, which its clients already reject, and
/// ``AttestationVerifier`` rejects it unless explicitly allowed.
public struct SimulatedProvider: AttestationProvider {
    /// The ASCII prefix of simulated evidence.
    public static let prefix: [UInt8] = Array("MOCK_QUOTE:".utf8)

    /// Creates the simulated provider.
    public init() {}

    /// Always ``AttestationKind/simulated``.
    public var kind: AttestationKind { .simulated }
    /// Always false.
    public var isHardware: Bool { false }

    /// Returns `MOCK_QUOTE:` ‖ `reportData` in the simulated format.
    public func evidence(reportData: [UInt8]) throws -> Evidence {
        try checkReportDataLength(reportData)
        return Evidence(format: .simulated, bytes: Self.prefix + reportData)
    }
}
