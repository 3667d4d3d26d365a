// nio-hello PORT: the benchmark's ceiling, a bare SwiftNIO HTTP/1.1 server (NIOHTTP1's own
// pipeline) answering the workloads with constants: /hello, /body64k, /echo (the body back),
// /stream (64 chunks of 1 KiB), /query (a query parameter and two headers).
import NIOCore
import NIOHTTP1
import NIOPosix

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 8090

final class BenchHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    static let hello = ByteBuffer(string: "Hello, world!\n")
    static let body64k = ByteBuffer(repeating: UInt8(ascii: "x"), count: 65536)
    static let chunk = ByteBuffer(repeating: UInt8(ascii: "s"), count: 1024)

    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var bytes):
            body.writeBuffer(&bytes)
        case .end:
            guard let head else { return }
            respond(context: context, head: head)
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        var parts: [ByteBuffer]
        switch path {
        case "/body64k": parts = [Self.body64k]
        case "/echo": parts = [body]
        case "/stream": parts = Array(repeating: Self.chunk, count: 64)
        case "/query":
            let name = head.uri.split(separator: "name=").dropFirst().first.map { String($0.prefix { $0 != "&" }) } ?? ""
            parts = [ByteBuffer(string: "\(name) \(head.headers.first(name: "x-one") ?? "") \(head.headers.first(name: "x-two") ?? "")")]
        default: parts = [Self.hello]
        }
        if path != "/stream" { headers.add(name: "Content-Length", value: String(parts[0].readableBytes)) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        for part in parts { context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !head.isKeepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(BenchHandler())
        }
    }
    .bind(host: "127.0.0.1", port: port).wait()
try channel.closeFuture.wait()
