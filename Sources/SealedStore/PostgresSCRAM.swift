import Crypto
import Foundation

/// The client side of SCRAM-SHA-256 (RFC 5802 / 7677, as PostgreSQL speaks it: no channel
/// binding, the user name taken from the startup message) and of MD5 password authentication.
///
/// The server's messages are the host's and so untrusted: the nonce must extend ours, the
/// iteration count is capped (`maxIterations`: a huge one would make us spin), and the server
/// must prove it knows the password (its signature in the final message) before the connection
/// is used.
struct PostgresSCRAM {
    /// The mechanism we speak. `SCRAM-SHA-256-PLUS` needs TLS channel binding: this client runs
    /// without TLS only.
    static let mechanism = "SCRAM-SHA-256"
    /// Most PBKDF2 iterations accepted (PostgreSQL's default is 4096).
    static let maxIterations = 1 << 20
    /// Random bytes of our nonce.
    static let nonceBytes = 18

    private let password: [UInt8]
    private let clientNonce: String
    /// `n=,r=<nonce>`: PostgreSQL ignores the user name here (it has the startup message's).
    private let clientFirstBare: String
    /// What the server's signature must be, once its first message is known.
    private var expectedServerSignature: [UInt8]?

    /// Starts an exchange for `password` (used as UTF-8; SASLprep is not applied, so a
    /// password must be ASCII or already normalized).
    init(password: String) {
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<Self.nonceBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        self.password = Array(password.utf8)
        clientNonce = Data(nonce).base64EncodedString()
        clientFirstBare = "n=,r=\(clientNonce)"
    }

    /// The SASLInitialResponse's data: GS2 header `n,,` (no channel binding) and the bare message.
    var clientFirst: [UInt8] { Array("n,,\(clientFirstBare)".utf8) }

    /// The client-final message answering the server-first `message`.
    mutating func clientFinal(serverFirst message: [UInt8]) throws(PostgresWireMessages.Malformed) -> [UInt8] {
        let serverFirst = String(decoding: message, as: UTF8.self)
        let attributes = Self.attributes(serverFirst)
        guard let nonce = attributes["r"], nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else {
            throw .init(text: "the server's SCRAM nonce does not extend ours")
        }
        guard let saltText = attributes["s"], let salt = Data(base64Encoded: saltText), !salt.isEmpty else {
            throw .init(text: "the server's SCRAM salt is missing or not base64")
        }
        guard let iterationText = attributes["i"], let iterations = Int(iterationText), (1...Self.maxIterations).contains(iterations) else {
            throw .init(text: "the server's SCRAM iteration count is missing or not from 1 to \(Self.maxIterations)")
        }
        let salted = Self.pbkdf2(password: password, salt: Array(salt), iterations: iterations)
        let clientKey = Self.hmac(salted, "Client Key")
        let storedKey = Array(SHA256.hash(data: clientKey))
        let withoutProof = "c=biws,r=\(nonce)"
        let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        let clientSignature = Self.hmac(storedKey, authMessage)
        let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        expectedServerSignature = Self.hmac(Self.hmac(salted, "Server Key"), authMessage)
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }

    /// Checks the server-final `message`: the server proves it knows the password.
    func verify(serverFinal message: [UInt8]) throws(PostgresWireMessages.Malformed) {
        let attributes = Self.attributes(String(decoding: message, as: UTF8.self))
        if let error = attributes["e"] { throw .init(text: "the server refused the SCRAM exchange: \(error)") }
        guard let expected = expectedServerSignature, let text = attributes["v"], let signature = Data(base64Encoded: text),
              Array(signature) == expected else {
            throw .init(text: "the server's SCRAM signature is wrong: it does not know the password")
        }
    }

    /// `key=value` attributes separated by commas (values may contain `=`).
    private static func attributes(_ message: String) -> [Character: String] {
        var attributes: [Character: String] = [:]
        for part in message.split(separator: ",") {
            guard let key = part.first, part.dropFirst().first == "=" else { continue }
            attributes[key] = String(part.dropFirst(2))
        }
        return attributes
    }

    private static func hmac(_ key: [UInt8], _ text: String) -> [UInt8] { hmac(key, Array(text.utf8)) }

    private static func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    /// PBKDF2-HMAC-SHA-256 with one 32-byte block (SCRAM's `Hi`).
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<max(1, iterations) {
            block = Array(HMAC<SHA256>.authenticationCode(for: block, using: key))
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }

    /// The MD5 method's answer: `md5` + hex(md5(hex(md5(password + user)) + salt)).
    static func md5Password(user: String, password: String, salt: ArraySlice<UInt8>) -> String {
        let inner = hex(Insecure.MD5.hash(data: Array(password.utf8) + Array(user.utf8)))
        return "md5" + hex(Insecure.MD5.hash(data: Array(inner.utf8) + salt))
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
