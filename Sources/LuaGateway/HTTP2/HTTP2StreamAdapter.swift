import NIOCore
import NIOHTTP2

/// Makes an HTTP/2 stream look like a connection that carries one request (SPEC 11), to the
/// `HTTPConnectionHandler` above it: HEADERS and DATA frames in become request parts; the
/// response bytes out (an HTTP/1.0 head, then the body as it is) become a HEADERS frame and
/// DATA frames; the stream ends with the response's last bytes when its head says how many
/// there are (`Content-Length`, or none: a HEAD request, 204, 304), else when the connection
/// handler closes its sending side. The stream channel's writability is HTTP/2 flow control,
/// so a slow client holds the application as a slow HTTP/1.1 one does.
final class HTTP2StreamAdapter: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = RequestPart
    typealias OutboundIn = IOData
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// Whether the request's head arrived (frames with fields after it are trailers).
    private var headReceived = false
    /// Whether the final response head went out (bytes after it are the body).
    private var headSent = false
    /// The request is a HEAD: its response has no body, whatever its head says.
    private var isHeadRequest = false
    /// Body bytes the response's head announced and that have not gone out yet.
    private var bodyLeft: Int?
    /// The frame that ends the stream went out.
    private var ended = false

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if !headReceived {
                headReceived = true
                let part = HTTP2RequestHead.parse(headers.headers)
                if case .head(let head, _) = part { isHeadRequest = head.isHead }
                context.fireChannelRead(wrapInboundOut(part))
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
        guard case .byteBuffer(var bytes) = unwrapOutboundIn(data) else { return readFile(data, context: context, promise: promise) }
        while !headSent, let head = HTTP2ResponseHead.read(from: &bytes) {
            headSent = head.status >= 200  // a 100 Continue is followed by the final head
            if headSent {
                let hasBody = !isHeadRequest && head.status != 204 && head.status != 304
                bodyLeft = hasBody ? head.contentLength : 0
                ended = bodyLeft == 0
            }
            context.write(wrapOutboundOut(.headers(.init(headers: head.headers, endStream: ended))), promise: nil)
        }
        guard bytes.readableBytes > 0, !ended else {
            promise?.succeed(())
            return
        }
        if let left = bodyLeft {
            let rest = left - bytes.readableBytes
            bodyLeft = rest
            ended = rest <= 0
        }
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(bytes), endStream: ended))), promise: promise)
    }

    /// A `wsgi.file_wrapper` body (a stream has no sendfile): `FileRegionReader` joins the stream's
    /// pipeline behind this adapter at the first file only (a stream that sends none never
    /// carries it) and writes the file's chunks back through here, in order.
    private func readFile(_ data: NIOAny, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        let reader = FileRegionReader()
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandler(reader, position: .after(self))
            reader.write(context: try pipeline.context(handler: reader), data: data, promise: promise)
        } catch {
            promise?.fail(error)
        }
    }

    /// Closing the sending side ends the stream after the response (when its last bytes have
    /// not ended it already); any other close resets it.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .output, headSent else { return context.close(mode: mode, promise: promise) }
        guard !ended else {
            promise?.succeed(())
            return
        }
        ended = true
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))),
                              promise: promise)
    }
}
