import CoreMetrics
import NIOConcurrencyHelpers
import NIOCore
import Prometheus

/// luagw's metrics (SPEC 10) in a Prometheus registry of the server's own, made through
/// swift-metrics' API with swift-prometheus' factory; `/metrics` is the registry's exposition.
/// What is counted as it happens (request durations, refusals, Lua errors, reloads) is
/// recorded by the workers; what is a level (states, queue, connections, memory) is read from
/// the workers when scraped (`AdminSnapshot`).
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    /// OpenTelemetry's advice for `http.server.request.duration`, in seconds.
    static let durationBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    init(version: String) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
        CoreMetrics.Gauge(label: "luagw_build_info", dimensions: [("version", version)], factory: factory).record(1)
        // Every family is exported from the start (at zero), as Prometheus' own clients do: a
        // query or an alert on one finds it before its first event.
        _ = queueWait
        for kind in ["error", "run_time", "memory"] { _ = luaErrors(kind: kind) }
        for log in ["access", "error"] { _ = (logLinesDropped(log: log), logWriteErrors(log: log)) }
        _ = (eventLoopBlocked, eventLoopBlockedSeconds)
        for direction in ["in", "out"] { _ = webSocketMessages(direction: direction) }
        gauge("luagw_websockets").record(0)
    }

    /// Messages of WebSockets (text and binary), by direction: the workers count them in plain
    /// integers; each scrape adds what was counted since the last.
    func webSocketMessages(direction: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "luagw_websocket_messages_total", dimensions: [("direction", direction)], factory: factory)
    }

    private let webSocketTotals = NIOLockedValueBox<[Int: (in: Int, out: Int)]>([:])

    private func countWebSocketMessages(in snapshot: AdminSnapshot) {
        webSocketTotals.withLockedValue { totals in
            for worker in snapshot.workers {
                let last = totals[worker.index] ?? (0, 0)
                webSocketMessages(direction: "in").increment(by: max(0, worker.webSocketMessagesIn - last.in))
                webSocketMessages(direction: "out").increment(by: max(0, worker.webSocketMessagesOut - last.out))
                totals[worker.index] = (worker.webSocketMessagesIn, worker.webSocketMessagesOut)
            }
        }
    }

    /// The request-duration timer of one method, status and route (the mount: never the raw path).
    func requestDuration(method: String, status: Int, route: String) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: "http_server_request_duration_seconds",
                      dimensions: [("method", method), ("status", String(status)), ("route", route)], factory: factory)
    }

    /// Requests luagw answered itself, refusing them (400, 408, 413, 414, 431, 503...).
    func refused(status: Int) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "luagw_requests_refused_total", dimensions: [("status", String(status))], factory: factory)
    }

    /// Lua errors by kind: `error`, `run_time` (stopped by --run-time), `memory`.
    func luaErrors(kind: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "luagw_lua_errors_total", dimensions: [("kind", kind)], factory: factory)
    }

    /// Connections the listener could not accept (`reason`: EMFILE, ENFILE, ENOBUFS, ENOMEM).
    func acceptErrors(reason: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "luagw_accept_errors_total", dimensions: [("reason", reason)], factory: factory)
    }

    /// Log lines lost (`log`: access or error): its destination was stalled or full, or a write failed.
    func logLinesDropped(log: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "luagw_log_lines_dropped_total", dimensions: [("log", log)], factory: factory)
    }

    /// Writes of a log (`log`: access or error) that failed (a full disk, an I/O error).
    func logWriteErrors(log: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "luagw_log_write_errors_total", dimensions: [("log", log)], factory: factory)
    }

    func reloads(result: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "luagw_reloads_total", dimensions: [("result", result)], factory: factory)
    }

    /// Episodes of an event loop held a second or more by one run (`BlockedLoopReports`).
    var eventLoopBlocked: CoreMetrics.Counter {
        CoreMetrics.Counter(label: "luagw_event_loop_blocked_total", factory: factory)
    }

    /// The seconds those episodes lasted, added when each ends.
    var eventLoopBlockedSeconds: CoreMetrics.FloatingPointCounter {
        CoreMetrics.FloatingPointCounter(label: "luagw_event_loop_blocked_seconds_total", factory: factory)
    }

    var queueWait: CoreMetrics.Timer { CoreMetrics.Timer(label: "luagw_queue_wait_seconds", factory: factory) }

    func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: label, dimensions: dimensions, factory: factory)
    }

    /// The levels read from the workers, then the registry in Prometheus' text format.
    func exposition(of snapshot: AdminSnapshot) -> String {
        var connections: [String: Int] = ["reading": 0, "active": 0, "idle": 0, "closing": 0, "websocket": 0]
        for worker in snapshot.workers {
            gauge("luagw_states", [("worker", String(worker.index)), ("state", "busy")]).record(worker.statesBusy)
            gauge("luagw_states", [("worker", String(worker.index)), ("state", "idle")]).record(worker.statesIdle)
            for (state, count) in worker.connections { connections[state, default: 0] += count }
        }
        for (state, count) in connections { gauge("luagw_connections", [("state", state)]).record(count) }
        gauge("luagw_queue_length").record(snapshot.workers.reduce(0) { $0 + $1.queue })
        gauge("http_server_active_requests").record(snapshot.inFlight.count)
        gauge("luagw_lua_memory_bytes").record(snapshot.workers.reduce(0) { $0 + $1.luaMemory })
        gauge("luagw_generation").record(snapshot.generation)
        gauge("luagw_websockets").record(snapshot.workers.reduce(0) { $0 + $1.webSockets })
        countWebSocketMessages(in: snapshot)
        return registry.emitToString()
    }
}

/// The metrics one worker records, on its own loop: its timers and counters, made once per
/// label set (a dictionary lookup a request, no registry lookup).
final class WorkerMetrics {
    private let metrics: GatewayMetrics
    /// A label set by small values (hashing them is cheap): the method's place in `methods`
    /// (`methods.count`: another), the status, the mount's index (-1: none) and the router's template.
    private struct DurationKey: Hashable {
        var method: Int
        var status: Int
        var mount: Int
        var template: String?
    }
    private var durations: [DurationKey: CoreMetrics.Timer] = [:]
    private var refusals: [Int: CoreMetrics.Counter] = [:]

    init(_ metrics: GatewayMetrics) {
        self.metrics = metrics
    }

    /// Methods outside HTTP's own are one label, as OpenTelemetry advises (no unbounded labels).
    private static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

    /// The last minute of requests, for /status.
    private(set) var recent = RecentRequests()

    /// A request ended: its duration by method, status and route (`route` makes the label, the
    /// first time a label set is seen).
    func requestEnded(method: String, status: Int, mount: Int, template: String?, route: () -> String,
                      started: NIODeadline, now: NIODeadline) {
        let nanoseconds = (now - started).nanoseconds
        recent.record(second: Int64(now.uptimeNanoseconds / 1_000_000_000), nanoseconds: nanoseconds)
        let methodIndex = Self.methods.firstIndex(of: method) ?? Self.methods.count
        let key = DurationKey(method: methodIndex, status: status, mount: mount, template: template)
        if let timer = durations[key] { return timer.recordNanoseconds(nanoseconds) }
        let label = methodIndex < Self.methods.count ? method : "_OTHER"
        let timer = metrics.requestDuration(method: label, status: status, route: route())
        durations[key] = timer
        timer.recordNanoseconds(nanoseconds)
    }

    func refused(status: Int) {
        if let counter = refusals[status] { return counter.increment() }
        let counter = metrics.refused(status: status)
        refusals[status] = counter
        counter.increment()
    }

    private lazy var queueWait = metrics.queueWait

    func queueWaited(nanoseconds: Int64) {
        queueWait.recordNanoseconds(nanoseconds)
    }

    func luaError(kind: String) {
        metrics.luaErrors(kind: kind).increment()
    }
}
