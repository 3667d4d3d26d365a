import NIOCore

/// The connections of one event loop and the one timer that enforces their deadlines
/// (keep-alive idle time, time to receive a head, body stalls) and reports slow requests
/// (`--slow-request`): a connection only stores its deadline; nothing is scheduled per request.
final class ConnectionSweeper {
    private var connections: [ObjectIdentifier: HTTPConnectionHandler] = [:]
    private var task: RepeatedTask?
    private let eventLoop: EventLoop
    /// `--slow-request`: seconds after which a running request is logged with where it is.
    private let slowRequest: Double?

    init(eventLoop: EventLoop, slowRequest: Double? = nil) {
        self.eventLoop = eventLoop
        self.slowRequest = slowRequest
    }

    var count: Int { connections.count }

    func add(_ connection: HTTPConnectionHandler) {
        connections[ObjectIdentifier(connection)] = connection
        guard task == nil else { return }
        task = eventLoop.scheduleRepeatedTask(initialDelay: Self.period, delay: Self.period) { [weak self] _ in
            self?.sweep()
        }
    }

    func remove(_ connection: HTTPConnectionHandler) {
        connections[ObjectIdentifier(connection)] = nil
    }

    /// The connections, for a shutdown that closes them.
    var all: [HTTPConnectionHandler] { Array(connections.values) }

    /// How often deadlines are checked: timeouts are honoured within this much.
    static let period = TimeAmount.milliseconds(100)

    private func sweep() {
        guard !connections.isEmpty else { return }
        let now = NIODeadline.now()
        for connection in connections.values where connection.deadline < now {
            connection.deadlinePassed()
        }
        guard let slowRequest else { return }
        let startedBefore = now - .nanoseconds(Int64(slowRequest * 1e9))
        for connection in connections.values {
            connection.reportIfSlow(startedBefore: startedBefore, now: now)
        }
    }
}
