import NIOCore
import NIOWebSocket

/// The handlers that carry a WebSocket once its handshake is answered, in front of the HTTP
/// connection handler (which stays as the host of the request's application): NIO's frame
/// encoder and decoder (at most `maxPayload` bytes a frame), luagw's `WebSocketFrameCheck`, NIO's
/// aggregator (fragments to one message of at most `maxPayload` bytes, control frames in between
/// passed on), and luagw's `WebSocketHandler` (which answers every protocol error with its close code).
enum WebSocketPipeline {
    /// Most fragments a message may come in.
    static let maxFragments = 4096

    /// Adds the handlers in front of `connection`; the frame decoder, which the bytes that came
    /// after the handshake are for.
    static func addServerHandlers(for session: WebSocketSession, before connection: ChannelHandler,
                                  in pipeline: ChannelPipeline.SynchronousOperations) throws -> ByteToMessageHandler<WebSocketFrameDecoder> {
        let decoder = ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: session.maxPayload))
        let handlers: [ChannelHandler] = [
            WebSocketFrameEncoder(),
            decoder,
            WebSocketFrameCheck(),
            NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: maxFragments,
                                        maxAccumulatedFrameSize: session.maxPayload),
            WebSocketHandler(session: session),
        ]
        try pipeline.addHandlers(handlers, position: .before(connection))
        return decoder
    }
}
