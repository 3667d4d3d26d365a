import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// The TLS client contexts of `sock:sslhandshake` and `luagw.http.request("https://...")`
/// (SPEC 11's TLS out), one per kind of verification, shared by every worker of a server: they
/// trust the system's certificate authorities plus those of `--ca-file`. Making one reads the
/// authorities, which is costly: each is made once, at its first use, on NIO's thread pool
/// (never on an event loop), and kept.
final class TLSClientContexts: Sendable {
    /// How a handshake checks the peer's certificate.
    enum Verification: Hashable, Sendable {
        /// Its chain, and its names against the server name (or the peer's address without one).
        case full
        /// Its chain only: `sslhandshake` without a server name, as OpenResty's.
        case chain
        /// Not at all: `ssl_verify = false`.
        case none
    }

    /// A bad `--ca-file`, named in the message.
    struct BadFile: Error, CustomStringConvertible {
        let description: String
    }

    /// Trusting the system's authorities only (`serve` and `cgi` without `--ca-file`).
    static let system = TLSClientContexts(trusting: [])

    private let caFiles: [String]
    private let made = NIOLockedValueBox<[Verification: NIOSSLContext]>([:])

    private init(trusting caFiles: [String]) {
        self.caFiles = caFiles
    }

    /// Contexts that also trust the authorities of `caFiles` (PEM); throws `BadFile` for one
    /// that cannot be read or holds no certificate.
    convenience init(caFiles: [String]) throws {
        for file in caFiles {
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(file), !certificates.isEmpty else {
                throw BadFile(description: "--ca-file \(file): not a readable PEM file of certificates")
            }
        }
        self.init(trusting: caFiles)
    }

    /// The contexts for `--ca-file`'s files: the shared `system` ones when there are none.
    /// Throws `BadFile` as `init(caFiles:)` does.
    static func trusting(_ caFiles: [String]) throws -> TLSClientContexts {
        caFiles.isEmpty ? .system : try TLSClientContexts(caFiles: caFiles)
    }

    /// The context for `verification`, on `eventLoop`.
    func context(_ verification: Verification, on eventLoop: EventLoop) -> EventLoopFuture<NIOSSLContext> {
        if let context = made.withLockedValue({ $0[verification] }) { return eventLoop.makeSucceededFuture(context) }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { try self.make(verification) }
    }

    private func make(_ verification: Verification) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch verification {
        case .full: configuration.certificateVerification = .fullVerification
        case .chain: configuration.certificateVerification = .noHostnameVerification
        case .none: configuration.certificateVerification = .none
        }
        configuration.additionalTrustRoots = verification == .none ? [] : caFiles.map { .file($0) }
        let context = try NIOSSLContext(configuration: configuration)
        return made.withLockedValue { made in
            if let first = made[verification] { return first }  // made meanwhile by another worker
            made[verification] = context
            return context
        }
    }
}
