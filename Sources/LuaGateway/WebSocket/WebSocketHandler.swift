import NIOCore
import NIOWebSocket

/// The WebSocket's place in the pipeline, after NIO's decoder, luagw's check and NIO's
/// aggregator: hands whole messages to its `session`, writes its frames (flushed once per read
/// batch when written while reading), holds the socket's reads while the application leaves
/// messages untaken, and turns protocol errors into the close code RFC 6455 asks for. Nothing
/// of the WebSocket reaches the HTTP connection behind it but the channel's end.
final class WebSocketHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let session: WebSocketSession
    private var context: ChannelHandlerContext?
    private var inRead = false
    private var needsFlush = false
    private var readIsHeld = false
    /// The connection failed: what still comes is read and dropped (`AfterWrite.linger`).
    private var lingers = false

    init(session: WebSocketSession) {
        self.session = session
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        session.handler = self
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inRead = true
        session.received(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inRead = false
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        session.writable()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client's FIN without a close frame (1006): nothing more will come.
            return context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.channelClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let violation as WebSocketViolation:
            session.fail(violation)
        case let error as NIOWebSocketFrameAggregator.Error:
            session.fail(Self.violation(error))
        case let error as NIOWebSocketError:
            session.fail(Self.violation(error))
        case is ByteToMessageDecoderError:
            break  // bytes after a failed frame: the connection is closing
        default:
            context.close(promise: nil)  // the socket failed
        }
    }

    /// What NIO's frame decoder found (NIO's `WebSocketProtocolErrorHandler` is not used: it closes
    /// the connection before the application's recv could learn why).
    static func violation(_ error: NIOWebSocketError) -> WebSocketViolation {
        switch error {
        case .invalidFrameLength: return .tooLarge
        case .fragmentedControlFrame: return .protocolError("a fragmented control frame")
        case .multiByteControlFrameLength: return .protocolError("a control frame longer than 125 bytes")
        }
    }

    static func violation(_ error: NIOWebSocketFrameAggregator.Error) -> WebSocketViolation {
        switch error {
        case .accumulatedFrameSizeIsTooLarge, .tooManyFragments:
            return .tooLarge
        case .didReceiveFragmentBeforeReceivingTextOrBinaryFrame:
            return .protocolError("a continuation frame without a message")
        case .receivedNewFrameWithoutFinishingPrevious:
            return .protocolError("a new message inside a fragmented one")
        case .nonFinalFragmentSizeIsTooSmall:
            return .protocolError("a fragment too small")
        }
    }

    // MARK: outbound

    /// Reads wait while the session holds too much the application has not taken.
    func read(context: ChannelHandlerContext) {
        if session.shouldHoldReads && !lingers {
            readIsHeld = true
        } else {
            context.read()
        }
    }

    /// Lets a held read go when the session has room again.
    func releaseRead() {
        guard readIsHeld, !session.shouldHoldReads, let context else { return }
        readIsHeld = false
        context.read()
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// What the connection does once a frame is out.
    enum AfterWrite {
        case goOn
        /// Closes the connection (the close handshake is done).
        case close
        /// Shuts the sending side only (a FIN after the close frame), then reads and drops what
        /// the client still sends until it closes its side (or the session's closing time
        /// ends): closing with bytes unread would reset the connection, and a reset can make the
        /// client lose the close frame (the lingering close nginx does).
        case linger
    }

    /// Writes `frame`: flushed at the end of the read batch when written while reading, else now;
    /// then does `then`.
    func write(_ frame: WebSocketFrame, then: AfterWrite = .goOn) {
        guard let context else { return }
        if then != .goOn {
            let promise = context.eventLoop.makePromise(of: Void.self)
            if then == .linger { lingers = true }
            promise.futureResult.whenComplete { _ in context.close(mode: then == .linger ? .output : .all, promise: nil) }
            return context.writeAndFlush(wrapOutboundOut(frame), promise: promise)
        }
        context.write(wrapOutboundOut(frame), promise: nil)
        if inRead {
            needsFlush = true
        } else {
            context.flush()
        }
    }

    /// Closes the connection now.
    func close() {
        context?.close(promise: nil)
    }
}
