// ws-load: bench/websocket's load client, every connection on one SwiftNIO event loop (one core).
//   ws-load echo PORT PATH CONNECTIONS SECONDS SIZE   each connection keeps one SIZE-byte text
//                                                     message in flight; prints messages/s
//   ws-load idle PORT PATH CONNECTIONS                opens them, prints "open N", holds them until killed
//   ws-load broadcast PORT PATH CONNECTIONS ROUNDS    the first connection sends a text message the
//                                                     server sends to all; prints each round's ms from
//                                                     the send to the last connection's receipt
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

enum LoadError: Error { case notUpgraded, usage }

/// Counts the text and binary messages a connection receives and hands each to `received`;
/// answers pings, closes on a close.
final class MessageHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private let received: (Channel) -> Void

    init(received: @escaping (Channel) -> Void) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary: received(context.channel)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose: context.close(promise: nil)
        default: break
        }
    }
}

/// A WebSocket on 127.0.0.1:`port``path`, once the server has answered 101.
func connect(_ group: EventLoopGroup, port: Int, path: String, received: @escaping (Channel) -> Void) -> EventLoopFuture<Channel> {
    let upgraded = group.next().makePromise(of: Channel.self)
    ClientBootstrap(group: group).channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            let upgrader = NIOTypedWebSocketClientUpgrader<Channel>(maxFrameSize: 1 << 16) { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MessageHandler(received: received))
                    return channel
                }
            }
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "127.0.0.1:\(port)")
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
            let upgrade = NIOTypedHTTPClientUpgradeConfiguration<Channel>(
                upgradeRequestHead: head, upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in channel.eventLoop.makeFailedFuture(LoadError.notUpgraded) })
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                configuration: NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgrade))
            result.cascade(to: upgraded)
        }
    }.connect(host: "127.0.0.1", port: port).whenFailure { upgraded.fail($0) }
    return upgraded.futureResult
}

/// Opens `count` WebSockets, at most 200 handshakes at a time.
func open(_ count: Int, _ group: EventLoopGroup, port: Int, path: String, received: @escaping (Channel) -> Void) throws -> [Channel] {
    var channels: [Channel] = []
    while channels.count < count {
        let batch = (0..<min(200, count - channels.count)).map { _ in connect(group, port: port, path: path, received: received) }
        channels += try EventLoopFuture.whenAllSucceed(batch, on: group.next()).wait()
    }
    return channels
}

func text(_ payload: ByteBuffer) -> WebSocketFrame {
    WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: payload)
}

let arguments = CommandLine.arguments
guard arguments.count >= 5, let port = Int(arguments[2]), let connections = Int(arguments[4]) else {
    FileHandle.standardError.write("usage: ws-load echo|idle|broadcast PORT PATH CONNECTIONS [...]\n".data(using: .utf8)!)
    exit(2)
}
let path = arguments[3]
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = group.next()

switch arguments[1] {
case "echo":
    guard arguments.count == 7, let seconds = Double(arguments[5]), let size = Int(arguments[6]) else { exit(2) }
    let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
    var messages = 0  // on the loop only
    let channels = try open(connections, group, port: port, path: path) { channel in
        messages += 1
        channel.writeAndFlush(text(payload), promise: nil)
    }
    try loop.submit { for channel in channels { channel.writeAndFlush(text(payload), promise: nil) } }.wait()
    Thread.sleep(forTimeInterval: 1)  // warm up
    let before = try loop.submit { messages }.wait(), started = Date()
    Thread.sleep(forTimeInterval: seconds)
    let after = try loop.submit { messages }.wait()
    print(String(format: "%.0f", Double(after - before) / Date().timeIntervalSince(started)))
case "idle":
    let channels = try open(connections, group, port: port, path: path) { _ in }
    print("open \(channels.count)")
    fflush(stdout)
    while true { sleep(3600) }
case "broadcast":
    guard arguments.count == 6, let rounds = Int(arguments[5]) else { exit(2) }
    var waiting = 0, done: EventLoopPromise<Void>?  // on the loop only
    let channels = try open(connections, group, port: port, path: path) { _ in
        waiting -= 1
        if waiting == 0 { done?.succeed(()) }
    }
    for _ in 0..<rounds {
        let started = DispatchTime.now()
        try loop.flatSubmit {
            waiting = channels.count
            let promise = loop.makePromise(of: Void.self)
            done = promise
            channels[0].writeAndFlush(text(ByteBuffer(string: "broadcast")), promise: nil)
            return promise.futureResult
        }.wait()
        print(String(format: "%.2f", Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6))
        Thread.sleep(forTimeInterval: 0.2)
    }
default:
    exit(2)
}
