/// Where one connection is (SPEC 5), in one place: the handler reports events, the
/// state moves and says what to do (as Hummingbird's and NIOHTTP1's state machines do).
/// "Discarding" is the unread body of an answered request read and dropped so the next
/// request can be parsed; "shutting down" is the server's (a `Worker`'s) and only
/// makes a response the connection's last.
struct ConnectionState {
    enum Phase: Equatable {
        /// Kept alive, waiting for the next request.
        case waitingForRequest
        /// The rest of a request's head (or the first request of a new connection).
        case receivingHead
        /// A request is being answered (its application runs, or waits for a state).
        case serving
        /// Serving a WebSocket (SPEC 12): the request's application runs; the bytes are frames.
        case webSocket
        /// The response is out; the rest of its request's body is read and dropped.
        case discardingBody
        /// The response is out and the sending side closed: the client's close, briefly.
        case lingering
        /// Closed.
        case closed
    }

    private(set) var phase = Phase.receivingHead
    /// The client sends no more (it half-closed, or its bytes stopped parsing): no request
    /// starts after the current one.
    private(set) var inputClosed = false

    /// A request is being answered, or its body discarded.
    var isActive: Bool { phase == .serving || phase == .discardingBody || phase == .webSocket }
    /// Nothing more is written.
    var isClosed: Bool { phase == .lingering || phase == .closed }

    /// The deadlines a phase sets (see `HTTPConnectionHandler+Deadlines`).
    enum Deadline {
        case head, body, keepAlive
    }

    /// A request (or an answer to bytes that made none) begins.
    mutating func beginExchange() {
        phase = .serving
    }

    /// Bytes came in; `readsBody`: the application waits for body bytes. The deadline to
    /// set, if it changes.
    mutating func bytesArrived(readsBody: Bool) -> Deadline? {
        switch phase {
        case .waitingForRequest:
            phase = .receivingHead
            return .head
        case .serving where readsBody, .discardingBody:
            return .body
        case .serving, .receivingHead, .lingering, .closed, .webSocket:
            return nil
        }
    }

    /// The request's WebSocket was accepted (101 written).
    mutating func upgraded() {
        precondition(phase == .serving)
        phase = .webSocket
    }

    /// What follows a response.
    enum AfterResponse {
        /// Close once what was written has gone out.
        case close
        /// Read and drop the rest of the request's body first.
        case discardBody
        /// Go on with the next request.
        case nextRequest
    }

    /// The response is written. `keepAlive`: it may be followed by another;
    /// `bodyEnded`: the request's body has all arrived; `continueUnanswered`: the client
    /// expects a 100 Continue it did not get (it may never send the body it announced).
    mutating func responseWritten(keepAlive: Bool, bodyEnded: Bool, continueUnanswered: Bool) -> AfterResponse {
        if !keepAlive || isClosed || (!bodyEnded && continueUnanswered) { return close() }
        if !bodyEnded {
            phase = .discardingBody
            return .discardBody
        }
        return exchangeEnded()
    }

    /// The exchange is over (its response written, its body all read).
    mutating func exchangeEnded() -> AfterResponse {
        if inputClosed { return close() }
        phase = .waitingForRequest
        return .nextRequest
    }

    /// Closing once what was written has gone out (see `closeAfterWrites`).
    mutating func close() -> AfterResponse {
        if phase != .closed { phase = .lingering }
        return .close
    }

    /// The connection is closed (by either side).
    mutating func closed() {
        phase = .closed
    }

    /// What the client's half-close means.
    enum AfterInputClosed {
        /// Close now: nothing is in progress.
        case closeNow
        /// Answer what is in progress, then close; its reads fail.
        case stopReceiving
    }

    /// The client half-closed; `hasQueued`: requests it sent are still queued.
    mutating func clientHalfClosed(hasQueued: Bool) -> AfterInputClosed {
        if phase == .lingering || (!isActive && !hasQueued) { return .closeNow }
        return .stopReceiving
    }

    /// What a stop in receiving means.
    enum AfterStop {
        /// The body was being discarded: close after what was written.
        case close
        /// The application, if it reads, learns the body will not come.
        case failReads
    }

    /// Nothing more is taken for the current request (half-close, unparsable body, too
    /// large, stalled): no request follows it.
    mutating func stopReceiving() -> AfterStop {
        inputClosed = true
        if phase == .discardingBody {
            _ = close()
            return .close
        }
        return .failReads
    }

    /// What a passed deadline means.
    enum AfterDeadline {
        case nothing
        case closeNow
        /// 408: the head did not arrive in time.
        case requestTimedOut
        /// The body stalled.
        case bodyTimedOut
    }

    /// The deadline passed; `readsBody`: the application waits for body bytes.
    func deadlinePassed(readsBody: Bool) -> AfterDeadline {
        switch phase {
        case .lingering, .waitingForRequest:
            return .closeNow
        case .receivingHead:
            return .requestTimedOut
        case .serving where readsBody, .discardingBody:
            return .bodyTimedOut
        case .serving, .closed, .webSocket:
            return .nothing  // a WebSocket's close handshake has its own timer (WebSocketSession)
        }
    }
}
