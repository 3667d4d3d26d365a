import Logging
import NIOCore

/// Serves the requests of one connection, in order (SPEC 5): it decodes the connection's bytes
/// itself (`RequestDecoder`; an HTTP/2 stream's adapter hands it parts), handles each part as
/// it comes and queues only what has to wait for the current request, holds the socket's reads
/// while a request's application is not reading its body (or while later requests wait), and
/// hands each request to its
/// application (`+Application`). Where the connection is lives in `state`; the
/// response bytes are the `writer`'s; the application's steps are the `runner`'s.
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// A connection's bytes; an HTTP/2 stream's handler reads `RequestPart`s (`StreamParts`).
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let worker: Worker
    /// Serves an HTTP/2 stream: `--max-streams` bounds it, not `--max-connections`.
    let isStream: Bool
    let exchange = Exchange()
    var state = ConnectionState()
    let writer: ResponseWriter
    /// Runs the current request's application; made when the handler joins a channel.
    var runner: RequestRunner!
    /// The handler's context while it is in the pipeline; released when it leaves, or the
    /// two would keep each other alive.
    var context: ChannelHandlerContext?
    var remote = RemotePeer(nil)
    var local = RemotePeer(nil)
    /// Whether the peer is a proxy whose forwarding headers are believed.
    var trustsProxy = false
    /// What arrived and waits for the request in progress (pipelined requests). A connection whose
    /// parts are handled as they come shares `noArrivals`' storage: it allocates none of its own.
    private var arrivals = HTTPConnectionHandler.noArrivals
    private static let noArrivals = CircularBuffer<RequestPart>(initialCapacity: 1)
    /// Decodes the connection's bytes (called here, not from a handler of its own: no
    /// `ByteToMessageHandler`, no `NIOAny` per part).
    private var decoder: RequestDecoder
    /// Bytes read and not decoded yet: the start of a part still to come, or what follows a
    /// WebSocket handshake until the application's verdict.
    var undecoded = ByteBuffer()
    private var isHandlingArrivals = false
    private var readIsHeld = false
    /// When the current deadline passes (see `+Deadlines`).
    var deadline = NIODeadline.distantFuture
    /// An exchange ended since the last read completed (see `channelReadComplete`).
    var exchangeEndedSinceRead = false
    /// A `wsgi.file_wrapper` body is being written: its application waits for that, not
    /// for writability.
    var sendsFile = false
    /// The WebSocket its request accepted (SPEC 12; `+WebSocket`).
    var webSocket: WebSocketSession?

    init(worker: Worker, isStream: Bool = false) {
        self.worker = worker
        self.isStream = isStream
        self.writer = ResponseWriter(exchange: exchange, worker: worker)
        // The decoder bounds what it holds; the exact limits (414, 431) are checked on each head.
        self.decoder = RequestDecoder(limits: worker.configuration.limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        writer.context = context
        let pool = worker.pool
        runner = RequestRunner(host: self, eventLoop: context.eventLoop, sockets: worker.sockets, timers: worker.timers,
                               logger: worker.logger, webSockets: worker.webSockets) { [exchange] in
            pool.giveBack($0, webSocket: exchange.isWebSocket)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        remote = RemotePeer(context.channel.remoteAddress)
        local = RemotePeer(context.channel.localAddress)
        trustsProxy = worker.configuration.trustsForwardedHeaders(from: context.channel.localAddress, remote)
        worker.connections.add(self)
        setDeadline(.head)
        if !isStream, worker.openConnections > worker.connectionLimit {
            respondWithoutRequest("503 Service Unavailable")
        }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        markClosed()
        worker.connections.remove(self)
        self.context = nil
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !state.isClosed else { return }  // lingering: dropped
        if isStream {
            arrive(StreamParts.unwrap(data))
        } else {
            decode(unwrapInboundIn(data))
        }
        handleArrivals()
    }

    /// Decodes `bytes` after what the last reads left, handling (or queueing) each part as it is
    /// decoded: the decoder holds the unread bytes only while it takes a part out of them, so what
    /// a part starts (a WebSocket accepted, taking the bytes after its head) finds them as they are.
    private func decode(_ bytes: ByteBuffer) {
        if undecoded.readableBytes == 0 {
            undecoded = bytes
        } else {
            // A part split across reads: joined in a buffer of their size (the read buffer may hold
            // slices already handed on, and need not grow).
            var joined = ByteBufferAllocator().buffer(capacity: undecoded.readableBytes + bytes.readableBytes)
            joined.writeImmutableBuffer(undecoded)
            joined.writeImmutableBuffer(bytes)
            undecoded = joined
        }
        while !state.isClosed, let part = decoder.next(&undecoded) { arrive(part) }
        // An idle connection keeps no read buffer alive.
        if undecoded.readableBytes == 0 { undecoded = ByteBuffer() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Bytes that only completed the request just answered do not start the next one.
        if exchangeEndedSinceRead {
            exchangeEndedSinceRead = false
        } else if let deadline = state.bytesArrived(readsBody: runner.waiting == .input) {
            setDeadline(deadline)
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !state.isClosed else { return }
        worker.logger.debug("connection error: \(error)")
        closeConnection()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client sends no more: a head it left unfinished is a 400; serve what arrived, then close.
            if !isStream, !state.isClosed {
                decoder.decodeAtEnd(&undecoded) { arrivals.append($0) }
                handleArrivals()
            }
            switch state.clientHalfClosed(hasQueued: !arrivals.isEmpty) {
            case .closeNow:
                closeConnection()
            case .stopReceiving:
                stopReceiving(because: .closed)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Nothing more will be taken for the current request (the client half-closed, its
    /// body stopped parsing, grew too large or stalled): its reads fail, and the connection
    /// closes after its response.
    func stopReceiving(because failure: InputFailure) {
        if exchange.inputFailure == nil { exchange.inputFailure = failure }
        if failure == .tooLarge {
            exchange.body.removeAll()
            exchange.bufferedBytes = 0
        }
        if !exchange.headersSent { exchange.keepAlive = false }
        switch state.stopReceiving() {
        case .close:
            closeAfterWrites()
        case .failReads:
            if !exchange.bodyEnded { runner.inputArrived() }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        markClosed()
        worker.connections.remove(self)
        arrivals = Self.noArrivals
        undecoded = ByteBuffer()
        if runner.isRunning {
            runner.clientGone()
        } else if exchange.waitsForState {
            exchange.waitsForState = false
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, runner.waiting == .host, !sendsFile { runner.resume(.goOn) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: outbound: holding reads

    func read(context: ChannelHandlerContext) {
        if shouldHoldReads && !state.isClosed {
            readIsHeld = true
        } else {
            context.read()
        }
    }

    /// Reads wait while later requests are queued, or while the application has not
    /// taken the body bytes already here (bounded memory, SPEC 2.1).
    /// A WebSocket handshake waits for its verdict with what was read (the decoder keeps it).
    private var shouldHoldReads: Bool {
        !arrivals.isEmpty || exchange.bufferedBytes >= worker.configuration.bodyBufferLimit
            || (exchange.mayUpgrade && state.phase == .serving)
    }

    /// Lets a held read go when nothing holds it any more.
    func releaseReadIfPossible() {
        guard readIsHeld, !shouldHoldReads, !state.isClosed, let context else { return }
        readIsHeld = false
        context.read()
    }

    // MARK: arrivals, in order

    /// Handles a part that just arrived at once when nothing waits before it and the current
    /// request allows; else it waits in `arrivals`.
    private func arrive(_ part: RequestPart) {
        guard arrivals.isEmpty, !isHandlingArrivals, !state.isClosed, mayHandle(part) else {
            return arrivals.append(part)
        }
        isHandlingArrivals = true
        _ = handle(part)  // a head dropped after the client stopped sending: what follows it is dropped too
        isHandlingArrivals = false
    }

    /// Handles what arrived, in order, as far as the current request allows: a new
    /// request starts only when the previous one is over.
    func handleArrivals() {
        guard !isHandlingArrivals else { return }
        isHandlingArrivals = true
        defer { isHandlingArrivals = false }
        while let arrival = arrivals.first, !state.isClosed {
            guard mayHandle(arrival) else { return }
            arrivals.removeFirst()
            if !handle(arrival) { return }
        }
        if arrivals.isEmpty { arrivals = Self.noArrivals }  // an idle connection keeps no queue of its own
        releaseReadIfPossible()
    }

    /// Whether `part` may be handled now: a request (or bytes that make none) starts only once
    /// the previous one is over.
    private func mayHandle(_ part: RequestPart) -> Bool {
        switch part {
        case .head, .malformed(_, nil): !state.isActive
        case .body, .end, .malformed(_, _?): true
        }
    }

    /// Handles `part`; false when the handling of the queue stops for now (a head after the client stopped sending).
    private func handle(_ part: RequestPart) -> Bool {
        switch part {
        case .head(let head, let facts):
            if state.inputClosed { return false }
            begin(head, facts: facts)
        case .body(let bytes):
            receiveBody(bytes)
        case .end:
            receiveEnd()
        case .malformed(_, let failure?):
            // The current request's body broke its framing.
            stopReceiving(because: failure)
        case .malformed(let malformed, nil):
            // Bytes after the current request that make no request: answered in turn.
            respondWithoutRequest(malformed.status, detail: malformed.reason)
        }
        return true
    }

    // MARK: closing

    /// Closes the connection once what was written has gone out. It closes the sending
    /// side first and lingers (reading and dropping) until the client closes or
    /// `lingerTime` passes, so that bytes the client still sends do not make the kernel
    /// reset the connection before the client has read the response (as nginx does).
    func closeAfterWrites() {
        guard let context, let written = writer.writesDone() else { return }
        writer.context = nil
        deadline = .now() + .seconds(from: Self.lingerTime)
        written.whenComplete { _ in
            context.close(mode: .output, promise: nil)
            context.read()
        }
    }

    static let lingerTime = 2.0

    /// Shutdown: closes the connection if no request is in progress on it, else lets the
    /// response say `Connection: close` (when its head is not out yet); a WebSocket closes with 1001.
    func shutDown() {
        if let webSocket { return webSocket.goAway() }
        if !state.isActive && arrivals.isEmpty {
            guard state.phase == .waitingForRequest else { return closeConnection() }
            // A kept-alive connection that answered a moment ago is the one a proxy sends its
            // next request on: closed now, it could lose a request already on its way (nginx
            // does not send a POST again). It gets until it has been idle for
            // `shutdownIdleTime`: a request that comes meanwhile is answered with
            // `Connection: close`; the sweeper closes it after that.
            let idleSince = deadline - .seconds(from: worker.configuration.limits.keepAliveTimeout)
            let closing = idleSince + .seconds(from: Self.shutdownIdleTime)
            if closing <= .now() { return closeConnection() }
            deadline = min(deadline, closing)
        } else if !exchange.headersSent {
            exchange.keepAlive = false
        }
    }

    /// Seconds a kept-alive connection must have been idle before shutting down closes it.
    static let shutdownIdleTime = 1.0

    /// Closes the connection now (a lingering one too).
    func closeConnection() {
        guard state.phase != .closed else { return }
        markClosed()
        context?.close(promise: nil)
    }

    /// Nothing more is written or read.
    private func markClosed() {
        state.closed()
        writer.context = nil
    }
}

/// Unwraps what an HTTP/2 stream's adapter hands its connection handler: parts, not bytes.
private final class StreamParts: ChannelInboundHandler {
    typealias InboundIn = RequestPart

    private static let unwrapper = StreamParts()

    static func unwrap(_ data: NIOAny) -> RequestPart {
        unwrapper.unwrapInboundIn(data)
    }
}
