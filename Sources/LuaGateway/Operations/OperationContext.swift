import NIOCore

/// What an operation may use besides its arguments: the request's event loop, the loop's
/// outbound sockets, and a way to release what it holds when the request ends (OpenResty's
/// cleanup handlers). One per runner, reset for each request.
final class OperationContext {
    let eventLoop: EventLoop
    let sockets: SocketTable
    /// The worker's timers; nil under `luagw cgi`, which ends with its request.
    let timers: TimerTable?
    /// Which request of the runner runs now: a socket belongs to the request that opened it.
    private(set) var request = 0
    private var cleanups: [() -> Void] = []

    init(eventLoop: EventLoop, sockets: SocketTable, timers: TimerTable? = nil) {
        self.eventLoop = eventLoop
        self.sockets = sockets
        self.timers = timers
    }

    /// Runs `cleanup` when the current request ends, whatever way it ends.
    func onRequestEnd(_ cleanup: @escaping () -> Void) {
        cleanups.append(cleanup)
    }

    /// The request that runs now, as the socket table knows it.
    var owner: SocketTable.Owner { SocketTable.Owner(context: ObjectIdentifier(self), request: request) }

    func requestBegins() {
        request &+= 1
    }

    func requestEnded() {
        guard !cleanups.isEmpty else { return }
        let due = cleanups
        cleanups.removeAll()
        for cleanup in due { cleanup() }
    }
}
