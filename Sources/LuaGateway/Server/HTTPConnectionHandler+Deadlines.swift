import NIOCore

/// The time limits of a connection (SPEC 5): how long a kept-alive connection may wait
/// for its next request, how long a request's head may take to arrive (slow clients are
/// cut off), how long an application waits for body bytes that do not come. The worker's
/// sweeper calls `deadlinePassed` when the current deadline is behind it.
extension HTTPConnectionHandler {
    func setDeadline(_ kind: ConnectionState.Deadline) {
        let limits = worker.configuration.limits
        let seconds = switch kind {
        case .head: limits.headerTimeout
        case .body: limits.bodyTimeout
        case .keepAlive: limits.keepAliveTimeout
        }
        deadline = .now() + .seconds(from: seconds)
    }

    func clearDeadline() {
        deadline = .distantFuture
    }

    func deadlinePassed() {
        clearDeadline()
        switch state.deadlinePassed(readsBody: runner.waiting == .input) {
        case .nothing:
            break
        case .closeNow:
            closeConnection()
        case .requestTimedOut:
            respondWithoutRequest("408 Request Timeout")
        case .bodyTimedOut:
            stopReceiving(because: .timedOut)
        }
    }
}
