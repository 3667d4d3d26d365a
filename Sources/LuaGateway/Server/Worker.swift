internal import CLuaGatewayBridge
import Logging
import NIOCore

/// What the connections of one event loop share: its pool of Lua states and the
/// buffers every request of the loop reuses. Used on that loop's thread only.
final class Worker {
    let pool: StatePool
    let configuration: GatewayConfiguration
    let logger: Logger
    let environ = EnvironBuilder()
    /// The loop's outbound connections (SPEC 7), kept-alive ones included.
    let sockets: SocketTable
    /// The WebSockets open on this worker (SPEC 12).
    let webSockets: WebSocketTable
    /// The loop's pending timers (SPEC 7).
    let timers: TimerTable
    let connections: ConnectionSweeper
    /// The loop's HTTP/2 connections (their streams are in `connections`), for GOAWAY at shutdown.
    var http2Connections: [ObjectIdentifier: HTTP2ConnectionHandler] = [:]
    /// Where a line per request goes; nil when the access log is off.
    let accessLog: AccessLog?
    /// Which worker this is (0, 1, ...), and what it records for `--admin`'s /metrics.
    let index: Int
    let metrics: WorkerMetrics?
    /// Whether requests are timed (the access log, `--slow-request` or the metrics need it).
    let timesRequests: Bool
    var dates = DateCache()
    /// Scratch for a request's percent-decoded path.
    var path: [UInt8] = []
    /// Connections this worker serves at most: its share of the server's limit.
    let connectionLimit: Int
    /// Client connections open now: HTTP/1.x ones and HTTP/2 ones (whatever their streams).
    var openConnections: Int { connections.clientConnections + http2Connections.count }
    /// Where this worker's request ids come from.
    var requestIDs: RequestIDs
    /// Whether the listener speaks TLS: environ says https (SPEC 11).
    let servesTLS: Bool

    init(index: Int, scripts: ScriptSet, configuration: GatewayConfiguration, eventLoop: EventLoop, logger: Logger,
         metrics: GatewayMetrics? = nil, accessLog: LogChannel? = nil, tls: TLSClientContexts = .system) {
        self.index = index
        self.sockets = SocketTable(tls: tls)
        self.webSockets = WebSocketTable(worker: index)
        self.metrics = metrics.map(WorkerMetrics.init)
        self.configuration = configuration
        self.logger = logger
        self.connections = ConnectionSweeper(eventLoop: eventLoop, slowRequest: configuration.slowRequest)
        self.accessLog = accessLog.map { AccessLog(channel: $0, eventLoop: eventLoop) }
        self.timesRequests = accessLog != nil || configuration.slowRequest != nil || metrics != nil
        let workers = max(1, configuration.workers)
        self.connectionLimit = (configuration.limits.maxConnections + workers - 1) / workers
        self.pool = StatePool(scripts: scripts, limits: configuration.pool, luaLimits: configuration.lua, eventLoop: eventLoop,
                              logger: logger, reportsLoadErrors: index == 0)
        self.requestIDs = RequestIDs(worker: index)
        self.servesTLS = configuration.tls != nil
        self.timers = TimerTable(limit: configuration.maxTimers, eventLoop: eventLoop, pool: pool, sockets: sockets,
                                 logger: logger, webSockets: webSockets)
        path.reserveCapacity(256)
        BlockedLoopReports(worker: index, logger: logger, metrics: metrics).watchThisThread()
    }

    /// Set when the server shuts down: connections close once their request is answered.
    private(set) var isShuttingDown = false

    /// Starts a graceful shutdown on this loop: idle connections close now, busy ones
    /// after their response.
    func beginShutdown() {
        isShuttingDown = true
        for connection in connections.all { connection.shutDown() }
        for connection in http2Connections.values { connection.goAway() }
        timers.expireAll()
    }

    /// This loop's thread is done running Lua (the server shuts down).
    func stopWatchdog() {
        BlockedLoopReports.stopWatchingThisThread()
    }

    /// Closes every connection left (the grace time is over).
    func closeAllConnections() {
        for connection in connections.all { connection.closeConnection() }
        for connection in http2Connections.values { connection.close() }
    }
}

/// The workers of a server, found by event loop. Each worker is used only on its own
/// loop's thread, which is what makes sharing this table across threads safe.
final class WorkerTable: @unchecked Sendable {
    private let workers: [ObjectIdentifier: Worker]

    init(_ workers: [ObjectIdentifier: Worker]) {
        self.workers = workers
    }

    func worker(for eventLoop: EventLoop) -> Worker {
        eventLoop.preconditionInEventLoop()
        return workers[ObjectIdentifier(eventLoop)]!
    }

    /// Runs `body` on each worker's loop and collects the results (for tests and diagnostics).
    func collect<T>(_ body: @escaping (Worker) -> T) -> [T] {
        workers.values.compactMap { worker in try? worker.pool.eventLoop.submit { body(worker) }.wait() }
    }

    /// Asks every worker, each on its own loop, for its part of the admin snapshot; completes on `loop`.
    func snapshot(on loop: EventLoop, started: NIODeadline, generation: Int, lastReloadError: String?)
        -> EventLoopFuture<AdminSnapshot> {
        let parts = workers.values.sorted { $0.index < $1.index }.map { worker in
            worker.pool.eventLoop.submit { worker.snapshot(now: .now()) }
        }
        return EventLoopFuture.whenAllSucceed(parts, on: loop).map { parts in
            var snapshot = AdminSnapshot(uptimeSeconds: Double((NIODeadline.now() - started).nanoseconds) / 1e9,
                                         generation: generation, lastReloadError: lastReloadError,
                                         workers: parts.map(\.0), inFlight: parts.flatMap(\.1))
            snapshot.summarizeRecentRequests()
            return snapshot
        }
    }

    /// Hands a new generation of scripts to every worker, on its own loop; returns when
    /// every worker serves it.
    func adopt(_ scripts: ScriptSet) {
        for worker in workers.values {
            try? worker.pool.eventLoop.submit {
                worker.pool.adopt(scripts)
                worker.timers.expireReplaced(generation: scripts.generation)
            }.wait()
        }
    }
}
