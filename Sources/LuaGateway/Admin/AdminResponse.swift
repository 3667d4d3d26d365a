import NIOCore
import NIOHTTP1

/// A whole answer of the admin listener (a page, JSON, metrics, or a refusal such as 401),
/// written at once on an HTTP pipeline.
struct AdminResponse {
    var status: HTTPResponseStatus
    var contentType = "text/plain"
    var body: String
    /// Fields beyond Content-Type, Content-Length and Cache-Control (`WWW-Authenticate`).
    var extraHeaders: [(String, String)] = []

    /// Writes the response; closes the connection after it unless it is kept alive.
    func send(on context: ChannelHandlerContext, keepAlive: Bool) {
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "Content-Type", value: contentType)
        head.headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        head.headers.add(name: "Cache-Control", value: "no-store")
        for (name, value) in extraHeaders { head.headers.add(name: name, value: value) }
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }
}
