import Logging
import NIOCore

/// The pending timers of one worker (SPEC 7, `luagw.timer.at` / `.every`): at most `limit`,
/// each bound to the state that made it (its function lives there). When one is due, a
/// `RequestRunner` runs the function like a request, as one more coroutine of that very state
/// (SPEC 4: also while the request that made it waits); an
/// `every` timer is scheduled again once its run ended. At a reload, the timers of replaced
/// states run at once with `premature = true`; at shutdown, all of them.
final class TimerTable {
    private struct Key: Hashable {
        let state: ObjectIdentifier
        let id: Int
    }

    private struct Pending {
        let state: LuaState
        let interval: Double?
        var task: Scheduled<Void>?
    }

    let limit: Int
    private let eventLoop: EventLoop
    private unowned let pool: StatePool
    private let sockets: SocketTable
    private let webSockets: WebSocketTable
    private let logger: Logger
    private var pending: [Key: Pending] = [:]
    private(set) var isShuttingDown = false

    init(limit: Int, eventLoop: EventLoop, pool: StatePool, sockets: SocketTable, logger: Logger,
         webSockets: WebSocketTable = WebSocketTable()) {
        self.webSockets = webSockets
        self.limit = limit
        self.eventLoop = eventLoop
        self.pool = pool
        self.sockets = sockets
        self.logger = logger
    }

    /// Timers waiting to run (or running).
    var count: Int { pending.count }

    /// Schedules timer `id` of `state` in `delay` seconds (then every `interval`, if given);
    /// false past the limit or during shutdown.
    func add(state: LuaState, id: Int, delay: Double, interval: Double?) -> Bool {
        guard pending.count < limit, !isShuttingDown else { return false }
        let key = Key(state: ObjectIdentifier(state), id: id)
        pending[key] = Pending(state: state, interval: interval, task: nil)
        schedule(key, in: delay)
        return true
    }

    /// Forgets timer `id` of `state`.
    func cancel(state: LuaState, id: Int) {
        let key = Key(state: ObjectIdentifier(state), id: id)
        pending[key]?.task?.cancel()
        pending[key] = nil
    }

    /// Runs at once, prematurely, the timers of states whose scripts a reload replaced.
    func expireReplaced(generation: Int) {
        for (key, timer) in pending where timer.state.scripts.generation != generation {
            expire(key)
        }
    }

    /// Shutdown: every pending timer runs at once, prematurely; no new one is taken.
    func expireAll() {
        isShuttingDown = true
        for key in pending.keys { expire(key) }
    }

    private func expire(_ key: Key) {
        pending[key]?.task?.cancel()
        pending[key]?.task = nil
        run(key, premature: true)
    }

    private func schedule(_ key: Key, in seconds: Double) {
        pending[key]?.task = eventLoop.scheduleTask(in: .seconds(from: seconds)) { [weak self] in
            self?.due(key)
        }
    }

    private func due(_ key: Key) {
        pending[key]?.task = nil
        let replaced = pending[key].map { $0.state.scripts.generation != pool.scripts.generation } ?? false
        run(key, premature: isShuttingDown || replaced)
    }

    private func run(_ key: Key, premature: Bool) {
        guard let timer = pending[key] else { return }
        guard pool.lend(timer.state) else { return pending[key] = nil }
        let host = ClientlessHost(kind: "timer", requestID: "timer-\(key.id)", logger: logger) { [weak self] in self?.ran(key, premature: premature) }
        let runner = RequestRunner(host: host, eventLoop: eventLoop, sockets: sockets, timers: self, logger: logger,
                                   webSockets: webSockets) { [pool] in
            pool.giveBack($0)
        }
        host.runner = runner
        runner.startTimer(on: timer.state, id: key.id, premature: premature)
    }

    /// A run ended: an `every` timer goes again, unless it ran prematurely or was cancelled.
    private func ran(_ key: Key, premature: Bool) {
        guard let timer = pending[key] else { return }
        if let interval = timer.interval, !premature, !isShuttingDown {
            schedule(key, in: interval)
        } else {
            pending[key] = nil
        }
    }
}
