import NIOCore
import NIOHTTP1

/// `--admin-token` on an admin connection: a request without `Authorization: Bearer TOKEN`
/// (or with another token) is answered 401 with `WWW-Authenticate: Bearer` and goes no further;
/// the others pass on to `AdminHandler`.
final class AdminAuthorization: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let token: AdminToken
    /// Whether the request being read was refused (its body and end are dropped).
    private var refused = false
    private var keepAlive = true

    init(token: AdminToken) {
        self.token = token
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part {
            refused = !token.admits(head.headers.first(name: "Authorization"))
            keepAlive = head.isKeepAlive
        }
        guard refused else { return context.fireChannelRead(data) }
        if case .end = part {
            AdminResponse(status: .unauthorized, body: "Unauthorized\n", extraHeaders: [("WWW-Authenticate", "Bearer")])
                .send(on: context, keepAlive: keepAlive)
        }
    }
}
