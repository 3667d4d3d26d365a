internal import CLuaGatewayBridge
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// `udpsock:setpeername(host, port)` and `setpeername("unix:/path")` (SPEC 7's
/// `ngx.socket.udp`): a UDP socket connected to the peer, on the request's own event loop,
/// held by the request as a connection is (`OperationContext.adopt`: one owner, closed when
/// the request ends). An IP address is used as it is; a name is resolved on NIO's thread pool
/// (the first address getaddrinfo gives), never on the loop. Resumed with the handle, which
/// `send`, `receive` (one datagram each) and `close` then take, or `nil, err`.
final class UDPSetPeerName: Operation {
    static let number = Int(LUAGW_OPERATION_UDP_PEER.rawValue)

    /// The largest datagram a read takes whole (OpenResty's receive buffer at most).
    static let largestDatagram = 65536

    private var cancelled = false

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let host = call.stringArgument(0) else { return .failure(OperationError("setpeername: bad arguments")) }
        let port = call.numberArgument(1).map { Int($0) } ?? 0
        let operation = UDPSetPeerName()
        let owner = context.owner
        peer(host: host, port: port, on: context.eventLoop).flatMap { address in
            connectedChannel(to: address, on: context.eventLoop)
        }.whenComplete { result in
            guard !operation.cancelled, context.owner == owner else {
                if case .success(let (channel, _)) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(let (_, connection)):
                completion([.integer(context.adopt(connection))])
            case .failure(let failure as SocketFailure):
                completion(failure.results)
            case .failure(let error):
                completion(SocketFailure(connecting: error).results)
            }
        }
        return .success(operation)
    }

    func cancel() {
        cancelled = true
    }

    /// The peer's address: a Unix socket's path, an IP address, or a name resolved off the loop.
    private static func peer(host: String, port: Int, on eventLoop: EventLoop) -> EventLoopFuture<SocketAddress> {
        if host.hasPrefix("unix:") {
            return eventLoop.makeCompletedFuture { try SocketAddress(unixDomainSocketPath: String(host.dropFirst(5))) }
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let address = try? SocketAddress(ipAddress: bare, port: port) {
            return eventLoop.makeSucceededFuture(address)
        }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            do {
                return try SocketAddress.makeAddressResolvingHost(bare, port: port)
            } catch {
                throw SocketFailure.unresolved
            }
        }
    }

    /// A datagram channel connected to `address`, reading only when a read waits. A Unix one
    /// passes credentials, so that Linux binds it to an address of its own (autobind) and the
    /// peer can answer.
    private static func connectedChannel(to address: SocketAddress, on eventLoop: EventLoop)
        -> EventLoopFuture<(Channel, OutboundConnection)> {
        let connection = OutboundConnection()
        var bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.autoRead, value: false)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: largestDatagram))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(DatagramPayloads(), connection)
                }
            }
        if case .unixDomainSocket = address {
            bootstrap = bootstrap.channelOption(.socketOption(.init(rawValue: SO_PASSCRED)), value: 1)
        }
        return bootstrap.connect(to: address).map { ($0, connection) }
    }
}
