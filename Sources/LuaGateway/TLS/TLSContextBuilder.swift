import Foundation
import NIOSSL

/// Reads the certificate and key files into the `NIOSSLContext` every TLS connection of the
/// listener is made from (SPEC 11): TLS 1.2 and 1.3 only. Building one reads files and is
/// costly (swift-nio-ssl says so), so it is done at start-up and on the reload queue, never on
/// an event loop. Each problem is said with the file it is in.
enum TLSContextBuilder {
    /// The protocols offered by ALPN: HTTP/2 first (SPEC 11).
    static let applicationProtocols = ["h2", "http/1.1"]

    static func context(for files: TLSFiles) throws -> NIOSSLContext {
        let chain = try certificates(in: files.certificate)
        let key = try privateKey(in: files.key)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.applicationProtocols = applicationProtocols
        // Closing, the server sends close_notify and closes, as over TCP: it need not wait for
        // the client's (RFC 8446, 6.1), where swift-nio-ssl would hold the connection 5 s.
        configuration.shutdownTimeout = .zero
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            // The certificate and the key parsed: BoringSSL refuses a key that is not the certificate's.
            throw TLSFileError(flag: "--tls-key", path: files.key,
                               problem: "this private key does not match the certificate of \(files.certificate) (\(error))")
        }
    }

    private static func certificates(in path: String) throws -> [NIOSSLCertificate] {
        let bytes = try read(path, flag: "--tls-cert")
        let chain = (try? NIOSSLCertificate.fromPEMBytes(bytes)) ?? []
        guard !chain.isEmpty else {
            throw TLSFileError(flag: "--tls-cert", path: path,
                               problem: "no PEM certificate in it (expected -----BEGIN CERTIFICATE----- blocks: the server's certificate, then its chain)")
        }
        return chain
    }

    private static func privateKey(in path: String) throws -> NIOSSLPrivateKey {
        let bytes = try read(path, flag: "--tls-key")
        do {
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            throw TLSFileError(flag: "--tls-key", path: path,
                               problem: "no PEM private key in it (expected -----BEGIN PRIVATE KEY----- or an RSA or EC key, without a passphrase)")
        }
    }

    private static func read(_ path: String, flag: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TLSFileError(flag: flag, path: path, problem: "no such file")
        }
        guard !isDirectory.boolValue else { throw TLSFileError(flag: flag, path: path, problem: "is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSFileError(flag: flag, path: path, problem: "cannot be read (its permissions?)")
        }
        return Array(data)
    }
}
