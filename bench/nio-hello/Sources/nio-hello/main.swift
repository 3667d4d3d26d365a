// nio-hello PORT BYTES: answers every request with BYTES bytes ("Hello, world!\n" when 14).
import NIOCore
import NIOHTTP1
import NIOPosix

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1])! : 8090
let size = arguments.count > 2 ? Int(arguments[2])! : 14
let text = size == 14 ? "Hello, world!\n" : String(repeating: "x", count: size)

final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let body: ByteBuffer
    private var keepAlive = true

    init(body: ByteBuffer) { self.body = body }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
        }
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let body = ByteBuffer(string: text)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(HelloHandler(body: body))
        }
    }
    .bind(host: "127.0.0.1", port: port).wait()
try channel.closeFuture.wait()
