import NIOCore
import NIOHTTP2

/// Makes an HTTP/2 stream look like a connection that carries one request (SPEC 11), to the
/// `HTTPConnectionHandler` above it: HEADERS and DATA frames in become request parts; the
/// response bytes out (an HTTP/1.0 head, then the body as it is) become a HEADERS frame and
/// DATA frames; the end of the response (the connection handler closing its sending side)
/// ends the stream. The stream channel's writability is HTTP/2 flow control, so a slow
/// client holds the application as a slow HTTP/1.1 one does.
final class HTTP2StreamAdapter: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = RequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// Whether the request's head arrived (frames with fields after it are trailers).
    private var headReceived = false
    /// Whether the final response head went out (bytes after it are the body).
    private var headSent = false

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if !headReceived {
                headReceived = true
                context.fireChannelRead(wrapInboundOut(HTTP2RequestHead.parse(headers.headers)))
            }
            if headers.endStream { context.fireChannelRead(wrapInboundOut(.end)) }
        case .data(let data):
            if case .byteBuffer(let bytes) = data.data, bytes.readableBytes > 0 {
                context.fireChannelRead(wrapInboundOut(.body(bytes)))
            }
            if data.endStream { context.fireChannelRead(wrapInboundOut(.end)) }
        default:
            break
        }
    }

    // MARK: outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        while !headSent, let (headers, status) = HTTP2ResponseHead.read(from: &bytes) {
            headSent = status >= 200  // a 100 Continue is followed by the final head
            context.write(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
        }
        guard bytes.readableBytes > 0 else {
            promise?.succeed(())
            return
        }
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(bytes)))), promise: promise)
    }

    /// Closing the sending side ends the stream after the response; any other close resets it.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .output, headSent else { return context.close(mode: mode, promise: promise) }
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))),
                              promise: promise)
    }
}
