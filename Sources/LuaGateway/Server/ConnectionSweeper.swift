import NIOCore

/// The connections of one event loop and the one timer that enforces their deadlines
/// (keep-alive idle time, time to receive a head, body stalls) and reports slow requests
/// (`--slow-request`): a connection only stores its deadline; nothing is scheduled per request.
/// When many connections have closed, it has their memory given back to the system.
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

    /// Of the connections, how many are HTTP/2 streams (each served as a connection of its own).
    private var streams = 0

    /// Connections and HTTP/2 streams, all that have deadlines.
    var count: Int { connections.count }

    /// Client connections, the HTTP/2 streams left out (an HTTP/2 connection is counted by its worker).
    var clientConnections: Int { connections.count - streams }

    func add(_ connection: HTTPConnectionHandler) {
        if connections.updateValue(connection, forKey: ObjectIdentifier(connection)) == nil, connection.isStream {
            streams += 1
        }
        guard task == nil else { return }
        task = eventLoop.scheduleRepeatedTask(initialDelay: Self.period, delay: Self.period) { [weak self] _ in
            self?.sweep()
        }
    }

    func remove(_ connection: HTTPConnectionHandler) {
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil, connection.isStream {
            streams -= 1
        }
    }

    /// The connections, for a shutdown that closes them.
    var all: [HTTPConnectionHandler] { Array(connections.values) }

    /// How often deadlines are checked: timeouts are honoured within this much.
    static let period = TimeAmount.milliseconds(100)

    /// The most connections held at a sweep since memory was last given back.
    private var peak = 0

    /// Connections closed (since the peak) after which their memory is given back to the system.
    static let releaseAfterClosing = 1000

    private func sweep() {
        peak = max(peak, connections.count)
        if peak - connections.count >= Self.releaseAfterClosing {
            peak = connections.count
            MemoryRelease.request()
        }
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
