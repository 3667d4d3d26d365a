import Logging
import NIOCore

/// Serves the requests of one connection, in order (SPEC 5): it queues what arrives
/// for later requests, holds the socket's reads while a request's application is not
/// reading its body (or while later requests wait), and hands each request to its
/// application (see `+Application`).
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = RequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let worker: Worker
    let exchange = Exchange()
    /// The handler's context while it is in the pipeline; released when it leaves, or the
    /// two would keep each other alive. Used only while the connection is open.
    var context: ChannelHandlerContext!
    /// Buffers for responses (the channel's allocator is NIO's default one, this).
    let allocator = ByteBufferAllocator()
    var remote = RemotePeer(nil)
    var local = RemotePeer(nil)
    /// Whether the peer is a proxy whose forwarding headers are believed.
    var trustsProxy = false
    /// Set once the connection is closed or closing: nothing more is written.
    var isClosed = false
    /// What arrived and is not handled yet.
    private var arrivals = CircularBuffer<RequestPart>(initialCapacity: 4)
    private var isHandlingArrivals = false
    private var readIsHeld = false
    /// What the connection waits for, and until when (see `+Deadlines`).
    var phase = Phase.receivingHead
    var deadline = NIODeadline.distantFuture
    /// Bytes of streamed chunks written but not flushed yet.
    var unflushedBytes = 0
    /// An exchange ended since the last read completed (see `channelReadComplete`).
    var exchangeEndedSinceRead = false

    init(worker: Worker) {
        self.worker = worker
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        remote = RemotePeer(context.channel.remoteAddress)
        local = RemotePeer(context.channel.localAddress)
        let allowed = worker.configuration.forwardedAllowIPs
        trustsProxy = allowed.contains("*") || allowed.contains(remote.address)
        worker.connections.add(self)
        setDeadline(after: worker.configuration.limits.headerTimeout)
        if worker.connections.count > worker.connectionLimit {
            exchange.resetWithoutRequest()
            respondSimply("503 Service Unavailable")
        }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        isClosed = true
        worker.connections.remove(self)
        self.context = nil
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosed else { return }  // lingering: dropped
        arrivals.append(unwrapInboundIn(data))
        handleArrivals()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Bytes that only completed the request just answered do not start the next one.
        if exchangeEndedSinceRead {
            exchangeEndedSinceRead = false
        } else {
            bytesArrived()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !isClosed else { return }
        worker.logger.debug("connection error: \(error)")
        closeConnection()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client sends no more: serve what arrived, then close.
            if phase == .lingering {
                context.close(promise: nil)
            } else if !exchange.isActive && arrivals.isEmpty {
                closeConnection()
            } else {
                stopReceiving(because: .closed)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Set when the client half-closed or its bytes stopped parsing: no request
    /// starts after the current one.
    var inputClosed = false

    /// Nothing more will be taken for the current request (the client half-closed, its
    /// body stopped parsing, grew too large or stalled): its reads fail, and the connection
    /// closes after its response.
    func stopReceiving(because failure: ApplicationCall.InputFailure) {
        inputClosed = true
        if exchange.inputFailure == nil { exchange.inputFailure = failure }
        if failure == .tooLarge {
            exchange.body.removeAll()
            exchange.bufferedBytes = 0
        }
        if !exchange.headersSent { exchange.keepAlive = false }
        if exchange.isDraining {
            exchange.isActive = false
            closeAfterWrites()
        } else {
            clientStoppedSending()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        worker.connections.remove(self)
        arrivals.removeAll()
        clientWentAway()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { writableAgain() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: outbound: holding reads

    func read(context: ChannelHandlerContext) {
        if shouldHoldReads && !isClosed {
            readIsHeld = true
        } else {
            context.read()
        }
    }

    /// Reads wait while later requests are queued, or while the application has not
    /// taken the body bytes already here (bounded memory, SPEC 2.1).
    private var shouldHoldReads: Bool {
        !arrivals.isEmpty || exchange.bufferedBytes >= worker.configuration.bodyBufferLimit
    }

    /// Lets a held read go when nothing holds it any more.
    func releaseReadIfPossible() {
        guard readIsHeld, !shouldHoldReads, !isClosed else { return }
        readIsHeld = false
        context.read()
    }

    // MARK: arrivals, in order

    /// Handles what arrived, in order, as far as the current request allows: a new
    /// request starts only when the previous one is over.
    func handleArrivals() {
        guard !isHandlingArrivals else { return }
        isHandlingArrivals = true
        defer { isHandlingArrivals = false }
        while let arrival = arrivals.first, !isClosed {
            switch arrival {
            case .head(let head, let facts):
                guard !exchange.isActive else { return }
                arrivals.removeFirst()
                if inputClosed { return }
                begin(head, facts: facts)
            case .body(let bytes):
                arrivals.removeFirst()
                receiveBody(bytes)
            case .end:
                arrivals.removeFirst()
                receiveEnd()
            case .malformed(_, let failure?):
                // The current request's body broke its framing.
                arrivals.removeFirst()
                stopReceiving(because: failure)
            case .malformed(let malformed, nil):
                // Bytes after the current request that make no request: answered in turn.
                guard !exchange.isActive else { return }
                arrivals.removeFirst()
                exchange.resetWithoutRequest()
                respondSimply(malformed.status, detail: malformed.reason)
            }
        }
        releaseReadIfPossible()
    }

    // MARK: writing

    func write(_ buffer: ByteBuffer, flush: Bool = true) {
        guard !isClosed else { return }
        context.write(wrapOutboundOut(buffer), promise: nil)
        if flush {
            context.flush()
            unflushedBytes = 0
        }
    }

    /// Flushes streamed chunks written without a flush.
    func flushStreamed() {
        guard unflushedBytes > 0, !isClosed else { return }
        unflushedBytes = 0
        context.flush()
    }

    /// Streamed bytes past which a flush goes out even while the application keeps producing.
    static let flushThreshold = 64 * 1024

    /// Closes the connection once what was written has gone out.
    /// Closes the connection once what was written has gone out. It closes the sending
    /// side first and lingers (reading and dropping) until the client closes or
    /// `lingerTime` passes, so that bytes the client still sends do not make the kernel
    /// reset the connection before the client has read the response (as nginx does).
    func closeAfterWrites() {
        guard !isClosed else { return }
        isClosed = true
        phase = .lingering
        setDeadline(after: Self.lingerTime)
        let context = self.context!
        context.writeAndFlush(wrapOutboundOut(allocator.buffer(capacity: 0))).whenComplete { _ in
            context.close(mode: .output, promise: nil)
            context.read()
        }
    }

    static let lingerTime = 2.0

    /// Shutdown: closes the connection if no request is in progress on it, else lets the
    /// response say `Connection: close` (when its head is not out yet).
    func drain() {
        if !exchange.isActive && arrivals.isEmpty {
            closeConnection()
        } else if !exchange.headersSent {
            exchange.keepAlive = false
        }
    }

    func closeConnection() {
        guard !isClosed else { return }
        isClosed = true
        context.close(promise: nil)
    }
}
