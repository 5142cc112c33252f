import ArgumentParser
import EnclaveClient

/// `--protocol http|frames`.
extension WireProtocol: ExpressibleByArgument {}
