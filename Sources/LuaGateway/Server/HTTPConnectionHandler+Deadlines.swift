import NIOCore

/// The time limits of a connection (SPEC 5): how long a kept-alive connection may wait
/// for its next request, how long a request's head may take to arrive (slow clients are
/// cut off), how long an application waits for body bytes that do not come. The worker's
/// sweeper calls `deadlinePassed` when the current deadline is behind it.
extension HTTPConnectionHandler {
    /// What the connection is waiting for.
    enum Phase {
        /// The next request, on a kept-alive connection.
        case waitingForRequest
        /// The rest of a request's head (or the first request of a new connection).
        case receivingHead
        /// Nothing from the client, unless the application waits for body bytes.
        case serving
        /// The response is out and the sending side closed: the client's close, briefly.
        case lingering
    }

    func setDeadline(after seconds: Double) {
        deadline = .now() + .nanoseconds(Int64(seconds * 1_000_000_000))
    }

    func clearDeadline() {
        deadline = .distantFuture
    }

    /// Bytes came in: the decoder has read them, whether or not they completed a part
    /// (called on every `channelReadComplete`).
    func bytesArrived() {
        switch phase {
        case .waitingForRequest:
            phase = .receivingHead
            setDeadline(after: worker.configuration.limits.headerTimeout)
        case .receivingHead, .lingering:
            break
        case .serving:
            if exchange.waiting == .input || exchange.isDraining {
                setDeadline(after: worker.configuration.limits.bodyTimeout)
            }
        }
    }

    func deadlinePassed() {
        clearDeadline()
        switch phase {
        case .lingering:
            context?.close(promise: nil)
        case .waitingForRequest:
            closeConnection()
        case .receivingHead:
            guard !exchange.isActive, !isClosed else { return }
            exchange.resetWithoutRequest()
            respondSimply("408 Request Timeout")
        case .serving:
            if exchange.isActive, exchange.waiting == .input || exchange.isDraining {
                stopReceiving(because: .timedOut)
            }
        }
    }
}
