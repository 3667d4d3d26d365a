import NIOCore

/// One outbound TCP (or Unix) connection of a request (SPEC 7), a UDP socket of its (connected
/// to one peer: each datagram is one read), or the pipe of its child
/// process (`io.popen`, SPEC 5: `ChildProcess`): what arrived and was not
/// taken yet, and the one read a request may wait on. It reads from the socket only when a
/// read waits and nothing is buffered (the channel does not auto-read), so a request that
/// does not read holds no more than one read's bytes.
///
/// Its waits (a read, an idle spell in a keep-alive pool) are bounded by one timer, armed
/// lazily: a wait sets the deadline; the timer, armed for an earlier deadline, arms itself
/// again when it fires before the current one. A request's many short reads so cost a clock
/// read each, not a scheduled task each.
final class OutboundConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// What the connection waits for now, until `deadline`.
    private enum Waiting {
        case nothing
        case read
        case idle
    }

    private(set) var channel: Channel?
    private var eventLoop: EventLoop?
    private var received = CircularBuffer<ByteBuffer>(initialCapacity: 2)
    private(set) var isClosed = false
    private var pendingRead: ((Result<ByteBuffer, SocketFailure>) -> Void)?
    /// What a handler in front reported while no read waited, for the next read.
    private var reportedFailure: SocketFailure?
    private var waiting = Waiting.nothing
    private var deadline = NIODeadline.distantFuture
    private var timer: Scheduled<Void>?
    private var timerDeadline = NIODeadline.distantFuture
    /// The keep-alive pool that holds it while it idles (it leaves the pool when it expires).
    private weak var pool: SocketTable?
    private var poolKey = ""
    /// How many times it was taken from a keep-alive pool.
    private(set) var reusedTimes = 0

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        eventLoop = context.eventLoop
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

    /// A failure in `SocketFailure`'s words that a handler in front reports (`DatagramPayloads`: a
    /// datagram refused) fails the waiting read, or the next one, and leaves the socket open; any
    /// other error closes it.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let failure = error as? SocketFailure else { return context.close(promise: nil) }
        if let deliver = takePendingRead() {
            deliver(.failure(failure))
        } else {
            reportedFailure = failure
        }
    }

    /// Whether bytes arrived that nobody read (a connection in that state is not reusable).
    var hasUnreadBytes: Bool { !received.isEmpty }

    /// Delivers what arrived (any amount), waiting up to `timeout` for it; `.closed` once the
    /// peer closed and everything was taken. At most one read waits at a time. A read timeout
    /// leaves the connection usable, as OpenResty's does.
    func read(timeout: TimeAmount, _ deliver: @escaping (Result<ByteBuffer, SocketFailure>) -> Void) {
        if let bytes = received.popFirst() { return deliver(.success(bytes)) }
        if let failure = reportedFailure {
            reportedFailure = nil
            return deliver(.failure(failure))
        }
        if isClosed { return deliver(.failure(.closed)) }
        guard pendingRead == nil else { return deliver(.failure(.busy("reading"))) }
        pendingRead = deliver
        wait(.read, for: timeout)
        channel?.read()
    }

    /// Forgets a waiting read (its request ended).
    func cancelRead() {
        _ = takePendingRead()
    }

    /// Idles in `pool` under `key` for at most `idle`, then closes and leaves it. An idle
    /// peer's close (or stray bytes) is noticed at once.
    func idle(in pool: SocketTable, key: String, for idle: TimeAmount) {
        self.pool = pool
        poolKey = key
        wait(.idle, for: idle)
        channel?.read()
    }

    /// Taken from its keep-alive pool by a request.
    func reuse() {
        pool = nil
        waiting = .nothing
        reusedTimes += 1
    }

    func close() {
        timer?.cancel()
        timer = nil
        pool = nil
        _ = takePendingRead()
        waiting = .nothing
        guard !isClosed else { return }
        isClosed = true
        channel?.close(promise: nil)
    }

    private func markClosed() {
        isClosed = true
        takePendingRead()?(.failure(.closed))
    }

    private func takePendingRead() -> ((Result<ByteBuffer, SocketFailure>) -> Void)? {
        if case .read = waiting { waiting = .nothing }
        let deliver = pendingRead
        pendingRead = nil
        return deliver
    }

    // MARK: the deadline of the current wait

    private func wait(_ what: Waiting, for amount: TimeAmount) {
        waiting = what
        deadline = .now() + amount
        if timer == nil || deadline < timerDeadline { arm() }
    }

    private func arm() {
        guard let eventLoop else { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = eventLoop.scheduleTask(deadline: deadline) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer = nil
        switch waiting {
        case .nothing:
            return
        case _ where NIODeadline.now() < deadline:
            arm()
        case .read:
            takePendingRead()?(.failure(.timeout))
        case .idle:
            let (pool, key) = (pool, poolKey)
            close()
            pool?.forget(self, key: key)
        }
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
