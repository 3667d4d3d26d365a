import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `--admin HOST:PORT` (SPEC 10): a listener of its own, on a thread of its own, for people and
/// programs that look inside the server: `/metrics` (Prometheus), `/status` (a page a person
/// reads) and `/status.json`. It asks each worker on its own loop and never blocks one.
final class AdminServer: Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: Channel
    /// Where it listens (the port is real when 0 was asked).
    let address: BindAddress

    init(bind: BindAddress, report: @escaping @Sendable (EventLoop) -> EventLoopFuture<AdminSnapshot>,
         metrics: GatewayMetrics) throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(AdminHandler(report: report, metrics: metrics))
                }
            }
        do {
            channel = try bootstrap.bind(host: bind.host, port: bind.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw ListeningAddress.explain(error, address: "\(bind) (--admin)")
        }
        address = BindAddress(host: bind.host, port: channel.localAddress?.port ?? bind.port)
    }

    func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// One admin connection: GET /metrics, /status, /status.json; anything else 404.
private final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let report: @Sendable (EventLoop) -> EventLoopFuture<AdminSnapshot>
    private let metrics: GatewayMetrics
    private var path = ""
    private var keepAlive = true

    init(report: @escaping @Sendable (EventLoop) -> EventLoopFuture<AdminSnapshot>, metrics: GatewayMetrics) {
        self.report = report
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.prefix { $0 != "?" })
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let context = NIOLoopBound(context, eventLoop: context.eventLoop)
            let (path, keepAlive, metrics) = (self.path, self.keepAlive, self.metrics)
            guard ["/metrics", "/status", "/status.json"].contains(path) else {
                return Self.respond(context.value, status: .notFound, type: "text/plain", body: "Not Found\n", keepAlive: keepAlive)
            }
            report(context.value.eventLoop).whenComplete { result in
                guard case .success(let snapshot) = result else {
                    return Self.respond(context.value, status: .serviceUnavailable, type: "text/plain",
                                        body: "the workers did not answer\n", keepAlive: keepAlive)
                }
                switch path {
                case "/metrics":
                    Self.respond(context.value, status: .ok, type: "text/plain; version=0.0.4; charset=utf-8",
                                 body: metrics.exposition(of: snapshot), keepAlive: keepAlive)
                case "/status.json":
                    Self.respond(context.value, status: .ok, type: "application/json", body: snapshot.json(), keepAlive: keepAlive)
                default:
                    Self.respond(context.value, status: .ok, type: "text/html; charset=utf-8",
                                 body: StatusPage(snapshot: snapshot).html, keepAlive: keepAlive)
                }
            }
        }
    }

    private static func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, type: String, body: String,
                                keepAlive: Bool) {
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "Content-Type", value: type)
        head.headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        head.headers.add(name: "Cache-Control", value: "no-store")
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }
}
