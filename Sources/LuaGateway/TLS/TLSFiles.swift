/// Where the listener's certificate and key are (`--tls-cert`, `--tls-key`: SPEC 11): PEM files,
/// the certificate file holding the server's certificate and then its chain (certbot's
/// `fullchain.pem`), the key file its private key without a passphrase (`privkey.pem`).
public struct TLSFiles: Sendable, Equatable {
    /// `--tls-cert`.
    public var certificate: String
    /// `--tls-key`.
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }
}
