internal import CLuaGatewayBridge
import NIOCore
import NIOSSL

/// `sock:sslhandshake(reused_session, server_name, ssl_verify)` (SPEC 11): encrypts a connected
/// cosocket. NIOSSL's client handler joins the connection's pipeline only now (a plain socket
/// never carries it), with `server_name` for SNI and for the check of the peer's names (an IP
/// address is checked against the peer's address, without SNI). Resumed with `true` once the
/// handshake completed, or `nil, err` when it failed or outlasted the timeout (the connection
/// is then closed). A connection that is encrypted already (one from a keep-alive pool)
/// answers `true` at once, as OpenResty's does.
final class SocketHandshake: Operation {
    static let number = Int(LUAGW_OPERATION_SSL_HANDSHAKE.rawValue)

    private var timeout: Scheduled<Void>?
    private var done = false

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let (handle, connection) = context.connection(call), !connection.isClosed, let channel = connection.channel else {
            return answer(SocketFailure.closed.results, completion)
        }
        guard let name = call.stringArgument(1), let verify = call.numberArgument(2), let seconds = call.numberArgument(3) else {
            return .failure(OperationError("sslhandshake: bad arguments"))
        }
        let pipeline = channel.pipeline.syncOperations
        if (try? pipeline.handler(type: NIOSSLClientHandler.self)) != nil { return answer([.boolean(true)], completion) }
        let serverName = name.isEmpty ? nil : name
        let handshake = SocketHandshake()
        let finish = { (failure: SocketFailure?) in
            guard !handshake.done else { return }
            handshake.done = true
            handshake.timeout?.cancel()
            guard let failure else { return completion([.boolean(true)]) }
            context.close(handle, connection)
            completion(failure.results)
        }
        handshake.timeout = context.eventLoop.scheduleTask(in: .seconds(from: seconds)) { finish(.timeout) }
        let verification: TLSClientContexts.Verification = verify == 0 ? .none : serverName == nil ? .chain : .full
        context.sockets.tls.context(verification, on: context.eventLoop).whenComplete { made in
            guard !handshake.done else { return }
            do {
                if connection.isClosed { throw SocketFailure.closed }  // while the context was made
                let sni = serverName.flatMap { (try? SocketAddress(ipAddress: $0, port: 0)) == nil ? $0 : nil }
                let tls = try NIOSSLClientHandler(context: made.get(), serverHostname: sni)
                let watcher = TLSHandshakeWatcher { error in
                    finish(error.map { SocketFailure(handshaking: $0, serverName: serverName ?? "the peer's address") })
                }
                try pipeline.addHandler(tls, position: .first)
                try pipeline.addHandler(watcher, position: .after(tls))
                channel.read()  // the channel does not auto-read: NIOSSL reads on until the handshake is done
            } catch {
                finish(SocketFailure(handshaking: error, serverName: name))
            }
        }
        return .success(handshake)
    }

    func cancel() {
        done = true
        timeout?.cancel()
    }
}

extension SocketFailure {
    /// A handshake's failure: `certificate verify failed: ...` when the peer's certificate was
    /// refused (SPEC 11), else `handshake failed: ...`.
    init(handshaking error: Error, serverName: String) {
        switch error {
        case SocketFailure.closed:
            self = .other("handshake failed: closed by the peer")
        case let failure as SocketFailure:
            self = failure
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            self = .other("certificate verify failed: the certificate is not for \(serverName)")
        case let error as NIOSSLExtraError where error == .invalidSNIHostname:
            self = .other("handshake failed: \(serverName) is not a valid server name")
        case NIOSSLError.handshakeFailed(let reason):
            let words = Self.words(reason)
            // NIOSSL does not tell BoringSSL's verification result: the usual causes, then.
            self = .other(words == "certificate verify failed" ? "certificate verify failed: not issued by a trusted authority, or expired"
                                                                 : "handshake failed: \(words)")
        default:
            self = .other("handshake failed: \(error)")
        }
    }

    /// BoringSSL's reasons in words (`WRONG_VERSION_NUMBER`: `wrong version number`), without
    /// its codes and source files.
    private static func words(_ reason: BoringSSLError) -> String {
        if case .sslError(let stack) = reason, stack == [.eofDuringHandshake] { return "closed by the peer" }
        let words = "\(reason)".matches(of: #/OPENSSL_internal:([A-Z0-9_]+)/#).map { $0.1.lowercased().replacing("_", with: " ") }
        return words.isEmpty ? "\(reason)" : words.joined(separator: ", ")
    }
}
