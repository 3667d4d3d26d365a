import Logging
import NIOCore
import NIOWebSocket

/// A request's WebSocket (SPEC 12): `luagw.websocket.accept` writes the 101 and puts the
/// WebSocket handlers in front of this one, which stays as the host of the request's application
/// (its HTTP writer silenced: everything after is frames). The request's end closes the WebSocket
/// (1000; 1011 after a Lua error) and writes its one access-log line.
extension HTTPConnectionHandler: WebSocketUpgrading {
    func acceptWebSocket(accept: String, protocol chosen: String, maxPayload: Int) -> [OperationValue] {
        guard state.phase == .serving, !exchange.headersSent else { return OperationValue.failure("response header already sent") }
        guard exchange.isHTTP11 else { return OperationValue.failure("bad http version") }
        guard !worker.isShuttingDown else { return OperationValue.failure("server shutting down") }
        guard exchange.mayUpgrade else {
            return OperationValue.failure("luagw.websocket.accept: the request cannot be upgraded (it has a body)")
        }
        guard let context else { return OperationValue.failure("closed") }
        writer.switchProtocols(accept: accept, protocol: chosen)
        state.upgraded()
        // The head's bytes are a slice of a read buffer: a WebSocket that stays for hours keeps a copy of its size only.
        var compact = ByteBufferAllocator().buffer(capacity: exchange.head.bytes.readableBytes)
        compact.writeImmutableBuffer(exchange.head.bytes)
        exchange.head.bytes = compact
        let eventLoop = context.eventLoop, exchange = self.exchange, table = worker.webSockets
        let session = table.open { handle in
            WebSocketSession(handle: handle, maxPayload: maxPayload, table: table, exchange: exchange, eventLoop: eventLoop)
        }
        let frameDecoder: ByteToMessageHandler<WebSocketFrameDecoder>
        let frameDecoderContext: ChannelHandlerContext
        do {
            let pipeline = context.pipeline.syncOperations
            frameDecoder = try WebSocketPipeline.addServerHandlers(for: session, before: self, in: pipeline)
            frameDecoderContext = try pipeline.context(handler: frameDecoder)
        } catch {
            table.remove(session.handle)
            closeConnection()
            return OperationValue.failure("closed")
        }
        writer.context = nil  // a ByteBuffer written from here on would meet the frame encoder
        webSocket = session
        exchange.isWebSocket = true
        if let luaState = runner.call?.state { worker.pool.parkWebSocket(luaState) }
        // What was read after the head is the frame decoder's, before any later read (which reaches it
        // first now); whatever frames it makes wait in the session for the application's receive.
        if undecoded.readableBytes > 0 {
            let bytes = undecoded
            undecoded = ByteBuffer()
            frameDecoder.channelRead(context: frameDecoderContext, data: NIOAny(bytes))
            frameDecoder.channelReadComplete(context: frameDecoderContext)
        }
        releaseReadIfPossible()
        return [.integer(session.handle)]
    }

    /// The application failed after accepting (a Lua error, the run-time limit): logged with the
    /// request id, the WebSocket closed with 1011 (the error is not sent to the client).
    func failWebSocket(_ message: String, stopped: Bool) {
        let id = exchange.requestIDString
        guard let webSocket, !webSocket.isClosed else {
            worker.logger.debug("request ended by the client: \(message)", metadata: ["request_id": "\(id)"])
            return
        }
        worker.logger.error("request \(stopped ? "stopped" : "failed"): \(message)", metadata: ["request_id": "\(id)"])
        worker.metrics?.luaError(kind: Self.luaErrorKind(message, stopped: stopped))
        webSocket.close(code: WebSocketCloseCodes.serverError)
    }

    /// The application is over: the WebSocket closes (1000) if it is still open, and the access log
    /// has its line (status 101, the frame bytes sent, from the head to now). The connection
    /// itself closes at the end of the close handshake.
    func endWebSocket() {
        webSocket?.applicationEnded()
        guard let log = worker.accessLog else { return }
        let seconds = Double((NIODeadline.now() - exchange.startTime).nanoseconds) / 1e9
        log.record(remote: exchange.forwardedClient ?? remote.address, head: exchange.head, status: 101,
                   bytes: exchange.bodyBytesSent, seconds: seconds, requestID: exchange.requestID)
    }
}
