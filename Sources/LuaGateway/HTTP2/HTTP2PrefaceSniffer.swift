import NIOCore
import NIOHTTP2

/// Tells an HTTP/2 connection from an HTTP/1.1 one by its first bytes (SPEC 11): a client
/// that speaks HTTP/2 (by prior knowledge on cleartext, by ALPN `h2` on TLS) opens with the
/// connection preface. It looks at the first read only and leaves the pipeline at once: an
/// HTTP/1.1 connection goes on with the connection handler (which decodes its bytes) as if it had
/// never been there; an HTTP/2 one has it replaced by `NIOHTTP2Handler` (`HTTP2Pipeline`).
final class HTTP2PrefaceSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// RFC 9113 §3.4.
    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let worker: Worker
    /// The HTTP/1.1 handlers that an HTTP/2 connection does without.
    private let http1Handlers: [RemovableChannelHandler]
    /// The start of a preface that came in more than one read; what comes while the HTTP/1.1
    /// handlers leave.
    private var received: ByteBuffer?
    /// The preface came: HTTP/2 starts once the HTTP/1.1 handlers are gone.
    private var switching = false

    init(worker: Worker, http1Handlers: [RemovableChannelHandler]) {
        self.worker = worker
        self.http1Handlers = http1Handlers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = received {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        if switching {
            received = bytes
            return
        }
        let length = min(bytes.readableBytes, Self.preface.count)
        guard bytes.readableBytesView.prefix(length).elementsEqual(Self.preface.prefix(length)) else {
            received = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        received = bytes
        if length == Self.preface.count { switchToHTTP2(context: context) }
    }

    /// Removes the HTTP/1.1 handlers (asynchronously), then
    /// hands what arrived to `NIOHTTP2Handler` and leaves.
    private func switchToHTTP2(context: ChannelHandlerContext) {
        switching = true
        let pipeline = context.pipeline.syncOperations
        let removals = http1Handlers.map { pipeline.removeHandler($0) }
        EventLoopFuture.andAllSucceed(removals, on: context.eventLoop).assumeIsolated().whenComplete { result in
            do {
                try result.get()
                try HTTP2Pipeline.configure(context.channel, worker: self.worker)
                if let bytes = self.received {
                    // This read's completion has passed already: NIOHTTP2Handler flushes its answers on one.
                    context.fireChannelRead(self.wrapInboundOut(bytes))
                    context.fireChannelReadComplete()
                }
                self.received = nil
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            } catch {
                self.worker.logger.debug("cannot start HTTP/2: \(error)")
                context.close(promise: nil)
            }
        }
    }
}
