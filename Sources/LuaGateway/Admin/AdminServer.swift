import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `--admin HOST:PORT` (SPEC 10): a listener of its own, on a thread of its own, for people and
/// programs that look inside the server: `/metrics` (Prometheus), `/status` (a page a person
/// reads) and `/status.json`. It asks each worker on its own loop and never blocks one. Its
/// connections have the public listener's timeouts, at most `maxConnections` of them are open,
/// and with `--admin-token` each request must carry the token.
final class AdminServer: Sendable {
    /// Admin connections open at once at most; one more is answered 503 and closed.
    static let maxConnections = 16

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: Channel
    /// Where it listens (the port is real when 0 was asked).
    let address: BindAddress

    init(bind: BindAddress, token: String?, limits: RequestLimits,
         report: @escaping @Sendable (EventLoop) -> EventLoopFuture<AdminSnapshot>, metrics: GatewayMetrics) throws {
        let count = AdminConnectionCap.Count(limit: Self.maxConnections)
        let token = token.map(AdminToken.init)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(AdminConnectionCap(count: count))
                    try pipeline.configureHTTPServerPipeline()
                    try pipeline.addHandler(AdminTimeouts(limits: limits))
                    if let token { try pipeline.addHandler(AdminAuthorization(token: token)) }
                    try pipeline.addHandler(AdminHandler(report: report, metrics: metrics))
                }
            }
        do {
            // The socket systemd passed for the address, if any: processes that overlap in a restart share it.
            channel = try SocketActivation.take(bind).map { try SocketActivation.adopt($0, with: bootstrap) }
                ?? bootstrap.bind(host: bind.host, port: bind.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw ListeningAddress.explain(error, address: "\(bind) (--admin)")
        }
        address = BindAddress(host: bind.host, port: channel.localAddress?.port ?? bind.port)
    }

    /// The start-up warning SPEC 10 asks for: an admin listener that other hosts may reach
    /// (not loopback) and that asks no token.
    static func exposureWarning(bind: BindAddress, token: String?) -> String? {
        guard token == nil, !bind.isLoopback else { return nil }
        return "the admin listener on \(bind) is not on loopback and has no --admin-token: "
            + "anyone who reaches it sees /metrics and /status (paths, client addresses)"
    }

    func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}
