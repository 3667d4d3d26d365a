import Foundation
import NIOCore

/// What the admin listener reports (SPEC 10), read from every worker on its own loop:
/// `/status.json` is this, encoded; `/status` and the levels of `/metrics` are made from it.
struct AdminSnapshot: Encodable {
    /// One worker: its states and queue; its connections by state and its Lua memory (for
    /// /metrics, not in the JSON).
    struct Worker: Encodable {
        var index: Int
        var statesBusy: Int
        var statesIdle: Int
        var queue: Int
        /// The requests (and timer runs) each state that takes requests runs now.
        var requestsPerState: [Int] = []
        var connections: [String: Int] = [:]
        var luaMemory: Int = 0
        /// WebSockets open, and the messages they received and sent since the worker started.
        var webSockets = 0
        var webSocketMessagesIn = 0
        var webSocketMessagesOut = 0
        /// Requests that ended in the last minute, and their durations (`RecentRequests`).
        var recentCount = 0
        var recentHistogram: [UInt32] = []

        enum CodingKeys: String, CodingKey {
            case index, queue
            case statesBusy = "states_busy"
            case statesIdle = "states_idle"
            case requestsPerState = "requests_per_state"
            case webSockets = "websockets"
        }
    }

    /// A request in flight: where it is (`queued` for a state, `reading body`, `running`,
    /// `waiting` on an operation, `writing` its response) and for how long.
    struct Request: Encodable {
        var id: String
        var client: String
        var method: String
        /// The target's path, never its query (which may hold a token) nor an absolute-form
        /// target's authority.
        var path: String
        var mount: String
        var phase: String
        var ageSeconds: Double

        enum CodingKeys: String, CodingKey {
            case id, client, method, path, mount, phase
            case ageSeconds = "age_seconds"
        }
    }

    /// Durations under which half, nine tenths and 99 % of the last minute's requests ended.
    struct Latency: Encodable {
        var p50: Double?
        var p90: Double?
        var p99: Double?
    }

    var uptimeSeconds: Double
    var generation: Int
    /// Over the last minute (or since start, when younger).
    var requestsPerSecond = 0.0
    var latencySeconds = Latency()
    var lastReloadError: String?
    var workers: [Worker]
    var inFlight: [Request]

    enum CodingKeys: String, CodingKey {
        case generation, workers
        case uptimeSeconds = "uptime_seconds"
        case lastReloadError = "last_reload_error"
        case requestsPerSecond = "requests_per_second"
        case latencySeconds = "latency_seconds"
        case inFlight = "in_flight"
    }

    /// Fills the last minute's rate and percentiles from the workers' parts.
    mutating func summarizeRecentRequests() {
        var histogram = [UInt32](repeating: 0, count: RecentRequests.bins)
        var count = 0
        for worker in workers where !worker.recentHistogram.isEmpty {
            count += worker.recentCount
            for bin in 0..<RecentRequests.bins { histogram[bin] += worker.recentHistogram[bin] }
        }
        requestsPerSecond = Double(count) / min(Double(RecentRequests.slots), max(1, uptimeSeconds))
        latencySeconds = Latency(p50: RecentRequests.percentile(0.5, of: histogram),
                                 p90: RecentRequests.percentile(0.9, of: histogram),
                                 p99: RecentRequests.percentile(0.99, of: histogram))
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension Worker {
    /// This worker's part of the snapshot, on its own loop.
    func snapshot(now: NIODeadline) -> (AdminSnapshot.Worker, [AdminSnapshot.Request]) {
        let sizes = pool.sizes
        var worker = AdminSnapshot.Worker(index: index, statesBusy: sizes.live - sizes.idle, statesIdle: sizes.idle,
                                          queue: pool.queueLength)
        worker.luaMemory = pool.memory
        worker.requestsPerState = pool.requestsPerState
        worker.webSockets = webSockets.count
        worker.webSocketMessagesIn = webSockets.messagesIn
        worker.webSocketMessagesOut = webSockets.messagesOut
        if let metrics {
            worker.recentHistogram = [UInt32](repeating: 0, count: RecentRequests.bins)
            worker.recentCount = metrics.recent.lastMinute(upTo: Int64(now.uptimeNanoseconds / 1_000_000_000),
                                                           into: &worker.recentHistogram)
        }
        var requests: [AdminSnapshot.Request] = []
        for connection in connections.all {
            worker.connections[connection.state.metricsName, default: 0] += 1
            guard let phase = connection.requestPhase else { continue }
            let exchange = connection.exchange
            requests.append(AdminSnapshot.Request(
                id: exchange.requestIDString, client: exchange.forwardedClient ?? connection.remote.address,
                method: exchange.head.method, path: String(Substring(RequestTarget(exchange.head).path)),
                mount: connection.mountPath, phase: phase,
                ageSeconds: exchange.startTime > .distantPast ? Double((now - exchange.startTime).nanoseconds) / 1e9 : 0))
        }
        return (worker, requests)
    }
}

extension ConnectionState {
    /// The `state` label of `luagw_connections`.
    var metricsName: String {
        switch phase {
        case .receivingHead: "reading"
        case .serving, .discardingBody: "active"
        case .waitingForRequest: "idle"
        case .lingering, .closed: "closing"
        case .webSocket: "websocket"
        }
    }
}

extension HTTPConnectionHandler {
    /// Where the connection's request is, when it has one being answered.
    var requestPhase: String? {
        if state.phase == .webSocket { return "websocket" }
        guard state.phase == .serving, exchange.hasRequest else { return nil }
        if exchange.waitsForState { return "queued" }
        guard runner.isRunning else { return "writing" }
        switch runner.waiting {
        case .input: return "reading body"
        case .operation: return "waiting"
        case .host: return "writing"
        case .nothing, .timeSlice: return "running"
        }
    }

    /// The `route` of the request's metrics: the mount and, when a router answered, its template
    /// ("/api" and "/users/:id": "/api/users/:id").
    var routeLabel: String {
        guard let template = exchange.routeTemplate else { return mountPath }
        let mount = mountPath
        return (mount == "/" ? "" : mount) + template
    }

    /// The mount serving the current request ("/" for the root).
    var mountPath: String {
        let mounts = worker.pool.scripts.mounts
        guard exchange.isRouted else { return "" }
        guard exchange.mountIndex < mounts.count else { return exchange.mountIndex == mounts.count ? "public/" : "" }
        let path = mounts[exchange.mountIndex].path
        return path.isEmpty ? "/" : path
    }
}
