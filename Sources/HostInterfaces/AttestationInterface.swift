import Components

/// `privasys:enclave-os/attestation@0.1.0`: `set-attestation-extension` puts an app-chosen value
/// in the app's own RA-TLS certificate under `1.3.6.1.4.1.65230.3.5.{arc-suffix}`, persisted in
/// its sealed store (`attest-ext:<arc>`) and re-served after a restart. `set-config-complete`
/// belongs to the original's configure-then-freeze flow, which EnclaveOS does not gate on: it
/// always answers `ok`.
enum AttestationInterface {
    static let name = "privasys:enclave-os/attestation@0.1.0"

    static let interface = WASIInterface(name: name, functions: Dictionary(uniqueKeysWithValues: [
        WASIInterface.function("set-attestation-extension") { session, args in
            let (arc, value) = (try args.u32(0), try args.bytes(1))
            return try SDKResult.run {
                guard value.count <= AttestationExtensions.maxValueBytes else {
                    throw SDKError("attestation extension value exceeds \(AttestationExtensions.maxValueBytes) bytes")
                }
                guard let extensions = session.app?.attestation, let kv = session.kv else {
                    throw SDKError("attestation extensions are not available here (no app certificate, e.g. during the instantiation at load)")
                }
                try extensions.set(arc: arc, value: value, kv: kv)
                return nil
            }
        },
        WASIInterface.function("set-config-complete") { _, _ in SDKResult.ok() },
    ]))
}
