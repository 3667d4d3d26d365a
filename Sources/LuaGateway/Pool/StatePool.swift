import Logging
import NIOCore

/// The warm Lua states of one event loop (SPEC 4): created at start-up with every script
/// loaded; each runs up to `requestsPerState` requests at once (one coroutine each). New
/// requests go to the first state with room, so that they gather on as few states as
/// possible; when all are full a state is added, up to a limit; then a bounded queue of
/// requests waiting for room; then `503`.
///
/// A state that can no longer be trusted (out of memory), whose scripts a reload replaced, or
/// that served its `--state-max-requests` is retired: it takes no new requests, its running
/// ones finish (the pool keeps it among the draining ones meanwhile), and it closes when the
/// last of them lets it go.
final class StatePool {
    /// What `borrow` did.
    enum Outcome {
        /// A state, to use now.
        case ready(LuaState)
        /// Every state is full: the waiter gets one later, on this loop.
        case queued
        /// Every state is full and the queue is too: answer 503.
        case full
    }

    private(set) var scripts: ScriptSet
    private let limits: PoolLimits
    private let luaLimits: LuaLimits
    let eventLoop: EventLoop
    private let logger: Logger
    /// The states that take requests, oldest first.
    private var states: [LuaState] = []
    /// Retired states that still run requests (or timer runs).
    private var draining: [LuaState] = []
    private var waiters = CircularBuffer<StateWaiter>()
    /// Whether the next state made reports scripts that fail to load (once per script set).
    private var reportsLoadErrors: Bool

    init(scripts: ScriptSet, limits: PoolLimits, luaLimits: LuaLimits, eventLoop: EventLoop, logger: Logger,
         reportsLoadErrors: Bool) {
        var luaLimits = luaLimits
        luaLimits.concurrentRequests = limits.requestsPerState > 1
        self.luaLimits = luaLimits
        self.scripts = scripts
        self.reportsLoadErrors = reportsLoadErrors
        self.limits = limits
        self.eventLoop = eventLoop
        self.logger = logger
        addInitialStates()
    }

    /// States that exist (those that take requests and the draining ones), and those running nothing.
    var sizes: (live: Int, idle: Int) {
        (states.count + draining.count, states.lazy.filter(\.isIdle).count)
    }
    /// The requests (and timer runs) each state runs now, the draining ones last.
    var requestsPerState: [Int] { (states + draining).map { $0.running + $0.webSockets } }
    /// Requests waiting for room on a state.
    var queueLength: Int { waiters.count }
    /// Bytes the states hold.
    var memory: Int { (states + draining).reduce(0) { $0 + $1.memoryUsed } }

    /// Lends a state to one more request, or queues `waiter` until one has room.
    func borrow(orWait waiter: StateWaiter) -> Outcome {
        if let state = stateWithRoom() { return lent(state) }
        guard waiters.count < limits.queue else { return .full }
        waiters.append(waiter)
        return .queued
    }

    /// Brings in a new generation of scripts (a reload): new requests go to states of
    /// `scripts` at once; the old ones finish their requests and close.
    func adopt(_ scripts: ScriptSet) {
        self.scripts = scripts
        reportsLoadErrors = false  // the reload has reported them
        for state in states {
            state.isRetired = true
            if !state.isIdle { draining.append(state) }
        }
        states.removeAll()
        addInitialStates()
        serveWaiters()
    }

    /// Takes a state back after one of its requests (or timer runs) ended. A state that can no
    /// longer be trusted, that belongs to an older generation or that served its
    /// `--state-max-requests` is retired (and replaced when fewer than `--states` are left).
    /// `webSocket`: the request had accepted a WebSocket (`parkWebSocket`).
    func giveBack(_ state: LuaState, webSocket: Bool = false) {
        if webSocket {
            state.webSockets -= 1
        } else {
            state.running -= 1
        }
        state.timesLent += 1
        if state.isRetired {
            if state.isIdle { draining.removeAll { $0 === state } }
        } else {
            if state.isPoisoned || state.scripts.generation != scripts.generation {
                retire(state)
            } else if let limit = state.lendingLimit, state.timesLent >= limit {
                logger.debug("a Lua state is replaced after \(state.timesLent) requests (--state-max-requests)")
                retire(state)
            }
        }
        serveWaiters()
    }

    /// A request of `state` accepted a WebSocket: it stays on the state (a retired state closes
    /// only after its last WebSocket), but no longer counts towards `--requests-per-state`, so
    /// that open WebSockets are bounded by `--max-connections` and memory, not by the requests a
    /// state takes.
    func parkWebSocket(_ state: LuaState) {
        state.running -= 1
        state.webSockets += 1
        serveWaiters()
    }

    /// Lends `state` itself to one of its timers (SPEC 7: the timer's function lives there),
    /// whatever its other requests; false when it can no longer run anything.
    func lend(_ state: LuaState) -> Bool {
        guard !state.isPoisoned else { return false }
        state.running += 1
        return true
    }

    /// The first state with room for one more request (a state is added when all are full),
    /// or nil. A poisoned state found on the way is retired.
    private func stateWithRoom() -> LuaState? {
        var index = 0
        while index < states.count {
            let state = states[index]
            if state.isPoisoned {
                retire(state)
                continue
            }
            if state.running < limits.requestsPerState { return state }
            index += 1
        }
        guard states.count < limits.maximum, let state = makeState() else { return nil }
        states.append(state)
        return state
    }

    private func retire(_ state: LuaState) {
        state.isRetired = true
        states.removeAll { $0 === state }
        if !state.isIdle { draining.append(state) }
        if states.count < limits.initial, let fresh = makeState() { states.append(fresh) }
    }

    private func serveWaiters() {
        while !waiters.isEmpty, let state = stateWithRoom() {
            let waiter = waiters.removeFirst()
            state.running += 1
            eventLoop.execute { waiter.stateIsFree(state) }
        }
    }

    private func addInitialStates() {
        for _ in 0..<limits.initial {
            guard let state = makeState() else { break }
            states.append(state)
        }
    }

    private func lent(_ state: LuaState) -> Outcome {
        state.running += 1
        return .ready(state)
    }

    private func makeState() -> LuaState? {
        do {
            let reports = reportsLoadErrors
            let state = try LuaState(scripts: scripts, limits: luaLimits, onModule: { mount, returned in
                if reports { ModuleScripts.report(mount, returned: returned, to: self.logger) }
            }, onLoadError: { mount, message in
                if reports { self.logger.error("script failed to load: \(message)", metadata: ["script": "\(mount.file)"]) }
            })
            reportsLoadErrors = false
            if limits.maxRequestsPerState > 0 {
                let jitter = limits.maxRequestsPerState / 10
                state.lendingLimit = limits.maxRequestsPerState + Int.random(in: 0...jitter)
            }
            return state
        } catch {
            logger.error("cannot make a Lua state: \(error.message)")
            return nil
        }
    }
}

/// The sizes of each event loop's pool of Lua states.
public struct PoolLimits: Sendable {
    /// States made at start-up (`--states`).
    public var initial: Int
    /// States at most (`--max-states`).
    public var maximum: Int
    /// Requests one state runs at once (`--requests-per-state`; 1: a state of its own for each).
    public var requestsPerState: Int
    /// Requests that may wait for room on a state before the next gets 503 (`--queue`).
    public var queue: Int
    /// Requests a state serves before it is replaced by a fresh one (`--state-max-requests`;
    /// 0: never), plus a jitter of up to a tenth of it, drawn for each state (as gunicorn's
    /// `max_requests_jitter`), so that a pool's states are replaced one at a time.
    public var maxRequestsPerState: Int

    public init(initial: Int = 1, maximum: Int = 8, requestsPerState: Int = 1000, queue: Int = 4096,
                maxRequestsPerState: Int = 0) {
        self.initial = initial
        self.maximum = maximum
        self.requestsPerState = requestsPerState
        self.queue = queue
        self.maxRequestsPerState = maxRequestsPerState
    }
}

/// Who waits for room on a state of a full pool: told on the pool's loop when there is.
protocol StateWaiter: AnyObject {
    func stateIsFree(_ state: LuaState)
}
