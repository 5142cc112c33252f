/// Chooses an attestation provider from what the machine offers.
public enum ProviderDetection {
    /// The chosen provider and a sentence for a loud start-up log line.
    public struct Result: Sendable {
        /// The provider to use.
        public var provider: any AttestationProvider
        /// Why it was chosen (and, for simulated, that nothing is attested).
        public var reason: String
    }

    /// Picks Gramine SGX when `<gramineRoot>/quote` exists, else configfs-tsm when
    /// `<tsmRoot>` is a directory, else simulated.
    /// - Parameters:
    ///   - gramineRoot: Gramine's attestation directory (default `/dev/attestation`).
    ///   - tsmRoot: the configfs-tsm report directory (default `/sys/kernel/config/tsm/report`).
    public static func detect(
        gramineRoot: String = GramineSGXProvider.defaultRoot,
        tsmRoot: String = TSMProvider.defaultRoot
    ) -> Result {
        let gramine = GramineSGXProvider(root: gramineRoot)
        if DeviceFiles.exists(gramine.quotePath) {
            let type = gramine.attestationType() ?? "unknown"
            return Result(provider: gramine, reason: "attestation: gramine-sgx (found \(gramine.quotePath), attestation_type \(type))")
        }
        if DeviceFiles.isDirectory(tsmRoot) {
            return Result(provider: TSMProvider(root: tsmRoot), reason: "attestation: tsm (found configfs-tsm at \(tsmRoot))")
        }
        return Result(
            provider: SimulatedProvider(),
            reason: "attestation: SIMULATED — no \(gramine.quotePath) and no \(tsmRoot); certificates carry MOCK_QUOTE evidence that proves nothing and that verifiers reject unless told to allow simulated attestation"
        )
    }

    /// The provider for an explicit `--attestation` name.
    /// - Throws: ``AttestationError/unknownProviderName(_:)`` for an unknown name.
    public static func provider(
        named name: String,
        gramineRoot: String = GramineSGXProvider.defaultRoot,
        tsmRoot: String = TSMProvider.defaultRoot
    ) throws -> any AttestationProvider {
        guard let kind = AttestationKind(rawValue: name) else {
            throw AttestationError.unknownProviderName(name)
        }
        switch kind {
        case .simulated: return SimulatedProvider()
        case .gramineSGX: return GramineSGXProvider(root: gramineRoot)
        case .tsm: return TSMProvider(root: tsmRoot)
        }
    }
}
