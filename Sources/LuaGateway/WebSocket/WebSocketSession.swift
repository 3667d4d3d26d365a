import NIOCore
import NIOWebSocket

/// One WebSocket (SPEC 12), server side: the messages received and not taken yet (reads stop
/// while they are many), the `recv` waiting for one (and its timeout), the sends waiting for a slow client, and
/// the close handshake. Its `handler` writes the frames; every call is on the connection's loop.
final class WebSocketSession {
    /// The number Lua names it by.
    let handle: Int
    /// Bytes a message may have (all its fragments): a larger one closes with 1009.
    let maxPayload: Int
    /// Writes frames; nil once the connection closed.
    weak var handler: WebSocketHandler?
    private let table: WebSocketTable
    /// The upgraded request's exchange: the frame bytes sent count as its body bytes (the access log).
    private let exchange: Exchange
    private let eventLoop: EventLoop

    private var inbox = CircularBuffer<WebSocketMessage>(initialCapacity: 2)
    private var inboxDataBytes = 0
    private var inboxControls = 0
    private var receiver: WebSocketReceive?
    private var senders = CircularBuffer<WebSocketSendWait>()
    private(set) var closeSent = false
    private(set) var closeReceived = false
    /// The connection is closed (TCP).
    private(set) var isClosed = false
    /// What `recv` answers once the inbox is empty and nothing more comes: "closed", or why the
    /// connection failed.
    private var endReason: String?
    /// The close code that ended the WebSocket (the first sent or received).
    private(set) var closeCode: UInt16?
    private var closing: Scheduled<Void>?
    /// When the waiting `recv` times out, and the one timer that watches it. The timer outlives
    /// the `recv` that armed it (a message cancels nothing; the timer, firing early, re-arms for
    /// the `recv` then waiting): a timer per `recv` was an eighth of an echoed message's cost (a
    /// scheduled task inserted and removed per message).
    private var receiveDeadline = NIODeadline.distantFuture
    private var receiveTimer: Scheduled<Void>?
    private var receiveTimerDeadline = NIODeadline.distantFuture

    /// How long the client has to answer a close before the connection is closed anyway.
    static let closingTime = TimeAmount.seconds(5)
    /// Messages received and not taken past which reads stop (the application does not `recv`).
    static let inboxMessages = 64
    /// Pings and pongs kept for the application at most (each is answered whatever it does).
    static let inboxControlMessages = 16

    init(handle: Int, maxPayload: Int, table: WebSocketTable, exchange: Exchange, eventLoop: EventLoop) {
        self.handle = handle
        self.maxPayload = maxPayload
        self.table = table
        self.exchange = exchange
        self.eventLoop = eventLoop
    }

    /// Whether reads wait until the application takes messages.
    var shouldHoldReads: Bool {
        inboxDataBytes >= max(maxPayload, 64 * 1024) || inbox.count >= Self.inboxMessages
    }

    // MARK: inbound

    /// A frame checked by `WebSocketFrameCheck` and reassembled by NIO's aggregator.
    func received(_ frame: WebSocketFrame) {
        guard !isClosed, endReason == nil else { return }
        switch frame.opcode {
        case .text, .binary:
            let data = frame.unmaskedData
            if frame.opcode == .text && !WebSocketFrameCheck.isUTF8(data) { return fail(.invalidUTF8) }
            table.messagesIn += 1
            queue(WebSocketMessage(kind: frame.opcode == .text ? WebSocketMessage.text : WebSocketMessage.binary, data: data))
        case .ping:
            let data = frame.unmaskedData
            if !closeSent { write(opcode: .pong, data) }
            queueControl(WebSocketMessage(kind: WebSocketMessage.ping, data: data))
        case .pong:
            queueControl(WebSocketMessage(kind: WebSocketMessage.pong, data: frame.unmaskedData))
        case .connectionClose:
            receivedClose(frame.unmaskedData)
        default:
            break  // WebSocketFrameCheck let no other through
        }
    }

    /// The client's close: answered with the same code (an empty close when it had none), then the
    /// server closes the connection (RFC 6455 §7.1.1); the application sees it as a message.
    private func receivedClose(_ payload: ByteBuffer) {
        var reason = payload
        let code = reason.readInteger(as: UInt16.self) ?? WebSocketCloseCodes.noCode
        closeReceived = true
        if closeCode == nil { closeCode = code }
        let mustEcho = !closeSent
        closeSent = true
        var echo = ByteBuffer()
        if mustEcho {
            if code != WebSocketCloseCodes.noCode { echo.writeInteger(code) }
            exchange.bodyBytesSent += Self.frameBytes(payload: echo.readableBytes)  // counted before the application may end
        }
        // Queued before the write: the connection may be closed before the write returns.
        queue(WebSocketMessage(kind: WebSocketMessage.close, data: reason, code: code))
        if mustEcho {
            write(opcode: .connectionClose, echo, then: .close, counted: true)
        } else {
            handler?.close()
        }
    }

    private func queueControl(_ message: WebSocketMessage) {
        guard receiver != nil || inboxControls < Self.inboxControlMessages else { return }  // answered; not kept
        queue(message)
    }

    /// Hands `message` to the waiting `recv`, or keeps it (counted towards holding reads).
    private func queue(_ message: WebSocketMessage) {
        if let waiting = receiver {
            receiver = nil
            return waiting.complete(message.results)
        }
        count(message, by: 1)
        inbox.append(message)
    }

    private func count(_ message: WebSocketMessage, by sign: Int) {
        switch message.kind {
        case WebSocketMessage.text, WebSocketMessage.binary: inboxDataBytes += sign * message.data.readableBytes
        case WebSocketMessage.ping, WebSocketMessage.pong: inboxControls += sign
        default: break
        }
    }

    // MARK: the application's recv

    /// What `recv` answers now, or nil when `receive` waits (it is completed later).
    func receive(_ receive: WebSocketReceive, timeout: TimeAmount) -> [OperationValue]? {
        if let message = inbox.popFirst() {
            count(message, by: -1)
            handler?.releaseRead()
            return message.results
        }
        if isClosed || closeReceived || endReason != nil { return OperationValue.failure(endReason ?? "closed") }
        if receiver != nil { return OperationValue.failure("socket busy reading") }
        receiver = receive
        receiveDeadline = .now() + timeout
        if receiveTimer == nil || receiveTimerDeadline > receiveDeadline { armReceiveTimer() }
        return nil
    }

    /// `receive` stops waiting (its request ended).
    func receiverLeft(_ receive: WebSocketReceive) {
        if receiver === receive { receiver = nil }
    }

    private func armReceiveTimer() {
        receiveTimer?.cancel()
        receiveTimerDeadline = receiveDeadline
        receiveTimer = eventLoop.scheduleTask(deadline: receiveDeadline) { [weak self] in self?.receiveTimerFired() }
    }

    /// Times the waiting `recv` out if its deadline passed; else watches it (or none) again.
    private func receiveTimerFired() {
        receiveTimer = nil
        guard let waiting = receiver else { return }
        guard receiveDeadline <= .now() else { return armReceiveTimer() }
        receiver = nil
        waiting.timedOut()
    }

    // MARK: sending

    /// What a send did.
    enum Sent {
        /// Written: its bytes on the wire (header and payload), and whether the client keeps up.
        case written(bytes: Int, waits: Bool)
        case failed(String)
    }

    /// Sends a frame of `opcode` (1, 2, 8, 9, 10) with `payload`.
    func send(opcode: UInt8, payload: ByteBuffer) -> Sent {
        guard !isClosed, !closeSent, let handler, let wsOpcode = WebSocketOpcode(encodedWebSocketOpcode: opcode) else {
            return .failed("closed")
        }
        let bytes = Self.frameBytes(payload: payload.readableBytes)
        switch opcode {
        case WebSocketMessage.text, WebSocketMessage.binary:
            table.messagesOut += 1
        case WebSocketMessage.close:
            closeSent = true
            if closeCode == nil { closeCode = payload.getInteger(at: payload.readerIndex, as: UInt16.self) }
            armClosing()
        default:
            break
        }
        write(opcode: wsOpcode, payload)
        return .written(bytes: bytes, waits: !handler.isWritable)
    }

    /// A send waits until the client has taken enough (or its timeout).
    func waitForWritability(_ sender: WebSocketSendWait) {
        senders.append(sender)
    }

    func senderLeft(_ sender: WebSocketSendWait) {
        if let index = senders.firstIndex(where: { $0 === sender }) { senders.remove(at: index) }
    }

    /// The client took enough: waiting sends go on, in order.
    func writable() {
        while handler?.isWritable == true, let sender = senders.popFirst() { sender.complete() }
    }

    /// Bytes a frame with `payload` bytes takes on the wire (a server's frames are not masked).
    static func frameBytes(payload: Int) -> Int {
        payload + (payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10)
    }

    private func write(opcode: WebSocketOpcode, _ payload: ByteBuffer, then: WebSocketHandler.AfterWrite = .goOn,
                       counted: Bool = false) {
        if !counted { exchange.bodyBytesSent += Self.frameBytes(payload: payload.readableBytes) }
        handler?.write(WebSocketFrame(fin: true, opcode: opcode, data: payload), then: then)
    }

    // MARK: ending

    /// Fails the connection for a frame that broke the protocol: a close with the violation's code,
    /// then the connection lingers until the client closes (at most `closingTime`); `recv`
    /// answers the violation's reason.
    func fail(_ violation: WebSocketViolation) {
        guard !isClosed, endReason == nil else { return }
        endReason = violation.reason
        if closeCode == nil { closeCode = violation.code }
        if !closeSent {
            closeSent = true
            var payload = ByteBuffer()
            payload.writeInteger(violation.code)
            write(opcode: .connectionClose, payload, then: .linger)
            armClosing()
        } else {
            handler?.close()
        }
        endReceiving()
    }

    /// Closes with `code` unless a close was sent already (a Lua error: 1011; SIGTERM: 1001).
    func close(code: UInt16, reason: String = "") {
        guard !isClosed, !closeSent else { return }
        var payload = ByteBuffer()
        payload.writeInteger(code)
        payload.writeString(reason)
        _ = send(opcode: WebSocketMessage.close, payload: payload)
    }

    /// The server shuts down: close 1001; the client's answer reaches the application's `recv`.
    func goAway() {
        close(code: WebSocketCloseCodes.goingAway, reason: "server shutting down")
    }

    /// The application returned: a WebSocket still open closes with 1000.
    func applicationEnded() {
        close(code: WebSocketCloseCodes.normal)
    }

    /// The connection is closed: whoever waits learns it, and the WebSocket leaves the table.
    func channelClosed() {
        guard !isClosed else { return }
        isClosed = true
        if closeCode == nil { closeCode = 1006 }
        closing?.cancel()
        closing = nil
        receiveTimer?.cancel()
        receiveTimer = nil
        endReceiving()
        while let sender = senders.popFirst() { sender.fail("closed") }
        table.remove(handle)
    }

    private func endReceiving() {
        guard let waiting = receiver, inbox.isEmpty else { return }
        receiver = nil
        waiting.complete(OperationValue.failure(endReason ?? "closed"))
    }

    /// The client has `closingTime` to answer a close.
    private func armClosing() {
        guard closing == nil else { return }
        closing = eventLoop.scheduleTask(in: Self.closingTime) { [weak self] in self?.handler?.close() }
    }
}
