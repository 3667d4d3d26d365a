import NIOCore

/// A WebSocket send waiting for a slow client to take what was written (the frame is already
/// queued in the channel): it answers its bytes once the channel is writable again, or
/// `nil, "timeout"` and closes the connection (no close frame can get through a full pipe:
/// SPEC 7's rule for a send that timed out).
final class WebSocketSendWait: Operation {
    private weak var session: WebSocketSession?
    private let bytes: Int
    private var completion: Operations.Completion?
    private var timeout: Scheduled<Void>?

    init(session: WebSocketSession, bytes: Int, completion: @escaping Operations.Completion) {
        self.session = session
        self.bytes = bytes
        self.completion = completion
    }

    func arm(timeout seconds: TimeAmount, on eventLoop: EventLoop) {
        timeout = eventLoop.scheduleTask(in: seconds) { [weak self] in self?.timedOut() }
    }

    /// The client caught up.
    func complete() {
        finish([.integer(bytes)])
    }

    /// The connection closed.
    func fail(_ reason: String) {
        finish(OperationValue.failure(reason))
    }

    private func timedOut() {
        timeout = nil
        session?.senderLeft(self)
        let handler = session?.handler
        finish(OperationValue.failure("timeout"))  // first: the close would end the request as gone
        handler?.close()
    }

    private func finish(_ results: [OperationValue]) {
        timeout?.cancel()
        timeout = nil
        guard let done = completion else { return }
        completion = nil
        done(results)
    }

    func cancel() {
        completion = nil
        timeout?.cancel()
        timeout = nil
        session?.senderLeft(self)
    }
}
