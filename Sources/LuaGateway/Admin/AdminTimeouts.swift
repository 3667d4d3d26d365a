import NIOCore
import NIOHTTP1

/// The public listener's timeouts on an admin connection: a request must arrive whole (head and
/// any body) within `--header-timeout` of the connection's start, and a kept-alive connection
/// may wait `--keep-alive` for its next request; past either, the connection is closed. No
/// clock runs while a request is being answered.
final class AdminTimeouts: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let requestTime: TimeAmount
    private let idleTime: TimeAmount
    private var deadline: Scheduled<Void>?

    init(limits: RequestLimits) {
        requestTime = .nanoseconds(Int64(limits.headerTimeout * 1e9))
        idleTime = .nanoseconds(Int64(limits.keepAliveTimeout * 1e9))
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(requestTime, context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { disarm() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Before the end goes on: a request pipelined behind this one may come as it passes.
        if case .end = unwrapOutboundIn(data) { arm(idleTime, context: context) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    private func arm(_ time: TimeAmount, context: ChannelHandlerContext) {
        disarm()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: time) { channel.close(promise: nil) }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
