// The WIT type model lives in EnclaveProtocol so that server and client share it (the client
// reads the schema's type descriptors into the same type the component parser produces).
// Re-exported by name so every file here, and every user of Components, sees it as before.
@_exported import enum EnclaveProtocol.WITType
@_exported import struct EnclaveProtocol.WITParameter
@_exported import struct EnclaveProtocol.WITFunctionType
