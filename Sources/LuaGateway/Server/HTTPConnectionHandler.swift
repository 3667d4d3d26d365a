import Logging
import NIOCore
import NIOHTTP1

/// Serves the requests of one connection, in order (SPEC 5): it queues what arrives
/// for later requests, holds the socket's reads while a request's application is not
/// reading its body (or while later requests wait), and hands each request to its
/// application (see `+Application`).
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What arrived and is not handled yet.
    enum Arrival {
        case part(HTTPServerRequestPart)
        case malformed
    }

    let worker: Worker
    let exchange = Exchange()
    var context: ChannelHandlerContext!
    var remote = RemotePeer(nil)
    var local = RemotePeer(nil)
    /// Set once the connection is closed or closing: nothing more is written.
    var isClosed = false
    private var arrivals = CircularBuffer<Arrival>(initialCapacity: 4)
    private var isHandlingArrivals = false
    private var readIsHeld = false

    init(worker: Worker) {
        self.worker = worker
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        remote = RemotePeer(context.channel.remoteAddress)
        local = RemotePeer(context.channel.localAddress)
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrivals.append(.part(unwrapInboundIn(data)))
        handleArrivals()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is HTTPParserError {
            arrivals.append(.malformed)
            handleArrivals()
        } else {
            worker.logger.debug("connection error: \(error)")
            closeConnection()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client sends no more: serve what arrived, then close.
            if !exchange.isActive && arrivals.isEmpty {
                closeConnection()
            } else {
                stopReceiving()
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Set when the client half-closed or its bytes stopped parsing: no request
    /// starts after the current one.
    var inputClosed = false

    /// Nothing more will arrive for the current request (the client half-closed, or
    /// its body stopped parsing): its reads fail, and the connection closes after its response.
    private func stopReceiving() {
        inputClosed = true
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
        if shouldHoldReads {
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
            case .part(.head(let head)):
                guard !exchange.isActive else { return }
                arrivals.removeFirst()
                if inputClosed { return }
                begin(head)
            case .part(.body(let bytes)):
                arrivals.removeFirst()
                receiveBody(bytes)
            case .part(.end):
                arrivals.removeFirst()
                receiveEnd()
            case .malformed:
                arrivals.removeFirst()
                if exchange.isActive {
                    stopReceiving()
                } else {
                    respondToMalformedRequest()
                }
            }
        }
        releaseReadIfPossible()
    }

    private func respondToMalformedRequest() {
        exchange.reset(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"))
        exchange.keepAlive = false
        respondSimply("400 Bad Request")
    }

    // MARK: writing

    func write(_ buffer: ByteBuffer, flush: Bool = true) {
        guard !isClosed else { return }
        context.write(wrapOutboundOut(buffer), promise: nil)
        if flush { context.flush() }
    }

    /// Closes the connection once what was written has gone out.
    func closeAfterWrites() {
        guard !isClosed else { return }
        isClosed = true
        let context = self.context!
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func closeConnection() {
        guard !isClosed else { return }
        isClosed = true
        context.close(promise: nil)
    }
}
