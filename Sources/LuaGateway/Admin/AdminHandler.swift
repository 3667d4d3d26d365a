import NIOCore
import NIOHTTP1

/// One admin request, once admitted: GET /metrics, /status (`?refresh=N`: the page reloads itself
/// every N seconds), /status.json, and / (links to them); anything else 404.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let report: @Sendable (EventLoop) -> EventLoopFuture<AdminSnapshot>
    private let metrics: GatewayMetrics
    private var path = ""
    private var refresh: Int?
    private var keepAlive = true

    init(report: @escaping @Sendable (EventLoop) -> EventLoopFuture<AdminSnapshot>, metrics: GatewayMetrics) {
        self.report = report
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.prefix { $0 != "?" })
            refresh = StatusPage.refreshSeconds(inQuery: head.uri.drop { $0 != "?" }.dropFirst())
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let context = NIOLoopBound(context, eventLoop: context.eventLoop)
            let (path, refresh, keepAlive, metrics) = (self.path, self.refresh, self.keepAlive, self.metrics)
            if path == "/" {
                return AdminResponse(status: .ok, contentType: "text/html; charset=utf-8", body: StatusPage.index)
                    .send(on: context.value, keepAlive: keepAlive)
            }
            guard ["/metrics", "/status", "/status.json"].contains(path) else {
                return AdminResponse(status: .notFound, body: "Not Found\n").send(on: context.value, keepAlive: keepAlive)
            }
            report(context.value.eventLoop).whenComplete { result in
                Self.answer(path, refresh: refresh, with: result, metrics: metrics).send(on: context.value, keepAlive: keepAlive)
            }
        }
    }

    /// What `path` answers, made from the workers' report.
    private static func answer(_ path: String, refresh: Int?, with report: Result<AdminSnapshot, Error>,
                               metrics: GatewayMetrics) -> AdminResponse {
        guard case .success(let snapshot) = report else {
            return AdminResponse(status: .serviceUnavailable, body: "the workers did not answer\n")
        }
        switch path {
        case "/metrics":
            return AdminResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                 body: metrics.exposition(of: snapshot))
        case "/status.json":
            return AdminResponse(status: .ok, contentType: "application/json", body: snapshot.json())
        default:
            return AdminResponse(status: .ok, contentType: "text/html; charset=utf-8", body: StatusPage(snapshot: snapshot, refresh: refresh).html)
        }
    }
}
