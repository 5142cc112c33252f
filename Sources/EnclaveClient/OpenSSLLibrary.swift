#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The handful of system OpenSSL 3 functions ``ChallengeClient`` needs, resolved with
/// `dlopen`/`dlsym` (no link-time dependency: the package's own TLS is BoringSSL via NIOSSL,
/// whose symbols are prefixed, so the two never clash).
struct OpenSSLLibrary {
    private typealias MethodFn = @convention(c) () -> OpaquePointer?
    private typealias CtxNewFn = @convention(c) (OpaquePointer?) -> OpaquePointer?
    private typealias CtxCtrlFn = @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    private typealias AddCallback = @convention(c) (
        OpaquePointer?, UInt32, UInt32, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<Int>?,
        OpaquePointer?, Int, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?
    ) -> Int32
    private typealias AddCustomExtFn = @convention(c) (
        OpaquePointer?, UInt32, UInt32, AddCallback?, UnsafeRawPointer?, UnsafeMutableRawPointer?, UnsafeRawPointer?, UnsafeMutableRawPointer?
    ) -> Int32
    private typealias SetVerifyFn = @convention(c) (OpaquePointer?, Int32, UnsafeRawPointer?) -> Void
    private typealias SSLNewFn = @convention(c) (OpaquePointer?) -> OpaquePointer?
    private typealias SetFdFn = @convention(c) (OpaquePointer?, Int32) -> Int32
    private typealias SSLCtrlFn = @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    private typealias ConnectFn = @convention(c) (OpaquePointer?) -> Int32
    private typealias GetErrorFn = @convention(c) (OpaquePointer?, Int32) -> Int32
    private typealias PeerCertFn = @convention(c) (OpaquePointer?) -> OpaquePointer?
    private typealias I2DFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    private typealias FreeFn = @convention(c) (OpaquePointer?) -> Void
    private typealias CryptoFreeFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int32) -> Void

    // OpenSSL constants (ssl.h / tls1.h), stable across 1.1 and 3.x.
    private static let ctrlSetMinProtoVersion: Int32 = 123
    private static let ctrlSetTLSExtHostname: Int32 = 55
    private static let tls13Version = 0x0304
    private static let extClientHello: UInt32 = 0x0080  // SSL_EXT_CLIENT_HELLO

    private let ctxNew: CtxNewFn, clientMethod: MethodFn, ctxCtrl: CtxCtrlFn, addCustomExt: AddCustomExtFn
    private let setVerify: SetVerifyFn, sslNew: SSLNewFn, setFd: SetFdFn, sslCtrl: SSLCtrlFn, connect: ConnectFn
    private let getError: GetErrorFn, peerCertificate: PeerCertFn, i2d: I2DFn
    private let x509Free: FreeFn, sslFree: FreeFn, ctxFree: FreeFn, cryptoFree: CryptoFreeFn

    /// Loads `libssl.so.3` (or `libssl.3.dylib`) and resolves every function, or throws.
    static func load() throws -> OpenSSLLibrary {
        let names = ["libssl.so.3", "libssl.3.dylib", "/opt/homebrew/lib/libssl.3.dylib"]
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            throw ChallengeClientError.openSSLUnavailable("dlopen(\(names.joined(separator: ", "))) failed")
        }
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let pointer = dlsym(handle, name) else { throw ChallengeClientError.openSSLUnavailable("missing symbol \(name)") }
            return unsafeBitCast(pointer, to: type)
        }
        return OpenSSLLibrary(
            ctxNew: try symbol("SSL_CTX_new", as: CtxNewFn.self),
            clientMethod: try symbol("TLS_client_method", as: MethodFn.self),
            ctxCtrl: try symbol("SSL_CTX_ctrl", as: CtxCtrlFn.self),
            addCustomExt: try symbol("SSL_CTX_add_custom_ext", as: AddCustomExtFn.self),
            setVerify: try symbol("SSL_CTX_set_verify", as: SetVerifyFn.self),
            sslNew: try symbol("SSL_new", as: SSLNewFn.self),
            setFd: try symbol("SSL_set_fd", as: SetFdFn.self),
            sslCtrl: try symbol("SSL_ctrl", as: SSLCtrlFn.self),
            connect: try symbol("SSL_connect", as: ConnectFn.self),
            getError: try symbol("SSL_get_error", as: GetErrorFn.self),
            peerCertificate: try symbol("SSL_get1_peer_certificate", as: PeerCertFn.self),
            i2d: try symbol("i2d_X509", as: I2DFn.self),
            x509Free: try symbol("X509_free", as: FreeFn.self),
            sslFree: try symbol("SSL_free", as: FreeFn.self),
            ctxFree: try symbol("SSL_CTX_free", as: FreeFn.self),
            cryptoFree: try symbol("CRYPTO_free", as: CryptoFreeFn.self)
        )
    }

    /// Runs a TLS 1.3 client handshake on connected socket `fd` with `nonce` in extension
    /// `0xFFBB` and returns the peer certificate (DER). Certificate checks are off on purpose:
    /// the caller verifies the attestation evidence instead of a CA chain.
    func handshake(fd: Int32, serverName: String?, nonce: [UInt8]) throws -> [UInt8] {
        guard let ctx = ctxNew(clientMethod()) else { throw ChallengeClientError.handshakeFailed("SSL_CTX_new failed") }
        defer { ctxFree(ctx) }
        _ = ctxCtrl(ctx, Self.ctrlSetMinProtoVersion, Self.tls13Version, nil)
        setVerify(ctx, 0, nil)  // SSL_VERIFY_NONE

        // The add callback hands OpenSSL a pointer into `payload` (length-prefixed nonce), which
        // stays alive until this function returns, i.e. past the handshake.
        let payload = UnsafeMutableRawPointer.allocate(byteCount: 1 + nonce.count, alignment: 1)
        defer { payload.deallocate() }
        payload.storeBytes(of: UInt8(nonce.count), as: UInt8.self)
        for (index, byte) in nonce.enumerated() { payload.storeBytes(of: byte, toByteOffset: 1 + index, as: UInt8.self) }
        let add: AddCallback = { _, _, _, out, outLength, _, _, _, argument in
            guard let argument, let out, let outLength else { return -1 }
            let count = Int(argument.load(as: UInt8.self))
            out.pointee = UnsafePointer(argument.advanced(by: 1).assumingMemoryBound(to: UInt8.self))
            outLength.pointee = count
            return 1
        }
        guard addCustomExt(ctx, 0xFFBB, Self.extClientHello, add, nil, payload, nil, nil) == 1 else {
            throw ChallengeClientError.handshakeFailed("SSL_CTX_add_custom_ext(0xFFBB) failed")
        }
        guard let ssl = sslNew(ctx) else { throw ChallengeClientError.handshakeFailed("SSL_new failed") }
        defer { sslFree(ssl) }
        _ = setFd(ssl, fd)
        if let serverName {
            var name = Array(serverName.utf8CString)
            let ok = name.withUnsafeMutableBytes { sslCtrl(ssl, Self.ctrlSetTLSExtHostname, 0, $0.baseAddress) }
            guard ok == 1 else { throw ChallengeClientError.handshakeFailed("cannot set SNI \(serverName)") }
        }
        let result = connect(ssl)
        guard result == 1 else {
            throw ChallengeClientError.handshakeFailed("SSL_connect returned \(result), SSL_get_error \(getError(ssl, result)) (the server closes connections whose ClientHello it refuses)")
        }
        guard let certificate = peerCertificate(ssl) else { throw ChallengeClientError.handshakeFailed("the server presented no certificate") }
        defer { x509Free(certificate) }
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d(certificate, &der)
        guard length > 0, let der else { throw ChallengeClientError.handshakeFailed("i2d_X509 failed") }
        defer { cryptoFree(der, nil, 0) }
        return Array(UnsafeBufferPointer(start: der, count: Int(length)))
    }
}
