internal import CLuaGatewayBridge
import NIOCore
import NIOPosix

/// `sock:connect(host, port [, opts])` (SPEC 7): a connection from the pool `opts.pool` or
/// `host:port` when one is idle there, else a new one on the request's own event loop (names
/// resolved by NIO off the loop; `unix:/path` for a Unix socket). Resumed with the handle and
/// how many times the connection was reused, or `nil, err`.
final class SocketConnect: Operation {
    static let number = Int(LUAGW_OPERATION_CONNECT.rawValue)

    private var cancelled = false

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let host = call.stringArgument(0), let timeout = call.numberArgument(2), let key = call.stringArgument(3) else {
            return .failure(OperationError("connect: bad arguments"))
        }
        let port = call.numberArgument(1).map { Int($0) } ?? 0
        let owner = context.owner
        if let idle = context.sockets.takeIdle(key) {
            let handle = context.adopt(idle)
            completion([.integer(handle), .integer(idle.reusedTimes)])
            return .success(FinishedOperation.shared)
        }
        let operation = SocketConnect()
        let connection = OutboundConnection()
        let bootstrap = ClientBootstrap(group: context.eventLoop)
            .connectTimeout(.seconds(from: timeout))
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(connection) }
            }
        let connecting: EventLoopFuture<Channel>
        if host.hasPrefix("unix:") {
            connecting = bootstrap.connect(unixDomainSocketPath: String(host.dropFirst(5)))
        } else {
            connecting = bootstrap.connect(host: host, port: port)
        }
        connecting.whenComplete { result in
            guard !operation.cancelled, context.owner == owner else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success:
                completion([.integer(context.adopt(connection)), .integer(0)])
            case .failure(let error):
                completion(SocketFailure(connecting: error).results)
            }
        }
        return .success(operation)
    }

    func cancel() {
        cancelled = true
    }
}

extension OperationContext {
    /// The current request holds `connection` from now on; closed when the request ends,
    /// unless it went back to a pool or was closed before.
    func adopt(_ connection: OutboundConnection) -> Int {
        let handle = sockets.add(connection, owner: owner)
        onRequestEnd { [sockets] in
            guard sockets.connection(handle, owner: self.owner) === connection else { return }
            sockets.remove(handle)
            connection.close()
        }
        return handle
    }
}

extension SocketFailure {
    /// A connect's failure in OpenResty's words.
    init(connecting error: Error) {
        switch error {
        case ChannelError.connectTimeout(_):
            self = .timeout
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                self = .unresolved
            } else if let first = error.connectionErrors.first?.error as? IOError, first.errnoCode == ECONNREFUSED {
                self = .refused
            } else if error.connectionErrors.contains(where: { Self.isTimeout($0.error) }) {
                self = .timeout
            } else {
                self = .other("\(error)")
            }
        case let error as IOError where error.errnoCode == ECONNREFUSED || error.errnoCode == ENOENT:
            self = .refused
        default:
            self = .other("\(error)")
        }
    }

    private static func isTimeout(_ error: Error) -> Bool {
        if case ChannelError.connectTimeout = error { return true }
        return false
    }
}
