import NIOCore
import NIOHTTP2

/// An HTTP/2 connection as a whole, after `NIOHTTP2Handler` (its streams are served each by
/// an `HTTPConnectionHandler` of its own): it counts the open streams, closes the connection
/// when it has had none for `--keep-alive` seconds, and on a graceful shutdown (SIGTERM, SPEC 11)
/// sends GOAWAY naming the last stream it will serve, lets the open ones finish, then closes it.
final class HTTP2ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let worker: Worker
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    private var lastStreamID = HTTP2StreamID.rootStream
    /// GOAWAY went out: the connection closes when its last stream does.
    private var goingAway = false
    /// Closes the connection when it has been without a stream for `--keep-alive` seconds.
    private var idleTimeout: Scheduled<Void>?

    init(worker: Worker) {
        self.worker = worker
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        worker.http2Connections[ObjectIdentifier(self)] = self
        if worker.isShuttingDown { goAway() } else { startIdleTimeout() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        worker.http2Connections[ObjectIdentifier(self)] = nil
        idleTimeout?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        worker.http2Connections[ObjectIdentifier(self)] = nil
        idleTimeout?.cancel()
        context.fireChannelInactive()
    }

    /// A stream the client opened (the inline multiplexer tells its stream events to no
    /// handler): counted until its channel closes.
    func streamOpened(_ stream: Channel) {
        openStreams += 1
        idleTimeout?.cancel()
        idleTimeout = nil
        if let id = try? stream.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID) {
            lastStreamID = max(lastStreamID, id)
        }
        stream.closeFuture.assumeIsolated().whenComplete { _ in
            self.openStreams -= 1
            guard self.openStreams == 0 else { return }
            if self.goingAway { self.close() } else { self.startIdleTimeout() }
        }
    }

    private func startIdleTimeout() {
        guard let context else { return }
        let seconds = worker.configuration.limits.keepAliveTimeout
        idleTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(from: seconds)) {
            self.goAway()
        }
    }

    /// Sends GOAWAY: streams after the last one opened are refused; the connection closes
    /// once the open ones have finished (at once when there are none).
    func goAway() {
        guard !goingAway, let context else { return }
        goingAway = true
        let frame = HTTP2Frame(streamID: .rootStream,
                               payload: .goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        if openStreams == 0 { context.close(promise: nil) }
    }

    /// Closes the connection now (the grace time is over).
    func close() {
        context?.close(promise: nil)
    }
}
