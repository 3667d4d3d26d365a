import NIOCore

/// One outbound TCP (or Unix) connection of a request (SPEC 7): what arrived and was not
/// taken yet, and the one read a request may wait on. It reads from the socket only when a
/// read waits and nothing is buffered (the channel does not auto-read), so a request that
/// does not read holds no more than one read's bytes.
final class OutboundConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private(set) var channel: Channel?
    private var received = CircularBuffer<ByteBuffer>(initialCapacity: 2)
    private(set) var isClosed = false
    private var pendingRead: ((Result<ByteBuffer, SocketFailure>) -> Void)?
    private var readTimeout: Scheduled<Void>?
    /// How many times it was taken from a keep-alive pool.
    var reusedTimes = 0
    /// Set while it waits in a keep-alive pool, with the task that closes it when idle too long.
    var idleClose: Scheduled<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if let deliver = takePendingRead() {
            deliver(.success(bytes))
        } else {
            received.append(bytes)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        markClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Whether bytes arrived that nobody read (a connection in that state is not reusable).
    var hasUnreadBytes: Bool { !received.isEmpty }

    /// Delivers what arrived (any amount), waiting up to `timeout` for it; `.closed` once the
    /// peer closed and everything was taken. At most one read waits at a time.
    func read(timeout: TimeAmount, on eventLoop: EventLoop, _ deliver: @escaping (Result<ByteBuffer, SocketFailure>) -> Void) {
        if let bytes = received.popFirst() { return deliver(.success(bytes)) }
        if isClosed { return deliver(.failure(.closed)) }
        guard pendingRead == nil else { return deliver(.failure(.busy("reading"))) }
        pendingRead = deliver
        readTimeout = eventLoop.scheduleTask(in: timeout) { [weak self] in
            // A read timeout leaves the connection usable, as OpenResty's does.
            self?.takePendingRead()?(.failure(.timeout))
        }
        channel?.read()
    }

    /// Forgets a waiting read (its request ended).
    func cancelRead() {
        _ = takePendingRead()
    }

    func close() {
        idleClose?.cancel()
        idleClose = nil
        _ = takePendingRead()
        guard !isClosed else { return }
        isClosed = true
        channel?.close(promise: nil)
    }

    private func markClosed() {
        isClosed = true
        takePendingRead()?(.failure(.closed))
    }

    private func takePendingRead() -> ((Result<ByteBuffer, SocketFailure>) -> Void)? {
        readTimeout?.cancel()
        readTimeout = nil
        let deliver = pendingRead
        pendingRead = nil
        return deliver
    }
}

/// Why a socket call failed, in OpenResty's words (what the Lua caller gets as `err`).
enum SocketFailure: Error, CustomStringConvertible {
    case closed
    case timeout
    case refused
    case unresolved
    case busy(String)
    case other(String)

    var description: String {
        switch self {
        case .closed: "closed"
        case .timeout: "timeout"
        case .refused: "connection refused"
        case .unresolved: "no resolver answer"
        case .busy(let what): "socket busy \(what)"
        case .other(let message): message
        }
    }

    /// `nil, err` for the Lua caller.
    var results: [OperationValue] { OperationValue.failure(description) }
}
