import Logging
import NIOCore

/// The warm Lua states of one event loop (SPEC 4): created at start-up with every
/// script loaded, lent to one request at a time, grown up to a limit, then a bounded
/// queue of requests waiting for a state, then `503`.
final class StatePool {
    /// What `borrow` did.
    enum Outcome {
        /// A state, to use now.
        case ready(LuaState)
        /// Every state is busy: the waiter gets one later, on this loop.
        case queued
        /// Every state is busy and the queue is full: answer 503.
        case full
    }

    private(set) var scripts: ScriptSet
    private let limits: PoolLimits
    private let luaLimits: LuaLimits
    let eventLoop: EventLoop
    private let logger: Logger
    private var idle: [LuaState] = []
    private var live = 0
    private var waiters = CircularBuffer<StateWaiter>()
    /// Timers waiting for their own state to come back (see `lend`).
    private var reserved: [ObjectIdentifier: [(LuaState) -> Void]] = [:]
    /// Whether the next state made reports scripts that fail to load (once per script set).
    private var reportsLoadErrors: Bool

    init(scripts: ScriptSet, limits: PoolLimits, luaLimits: LuaLimits, eventLoop: EventLoop, logger: Logger,
         reportsLoadErrors: Bool) {
        self.luaLimits = luaLimits
        self.scripts = scripts
        self.reportsLoadErrors = reportsLoadErrors
        self.limits = limits
        self.eventLoop = eventLoop
        self.logger = logger
        for _ in 0..<limits.initial {
            guard let state = makeState() else { break }
            idle.append(state)
        }
    }

    /// States that exist (idle and lent), and those idle.
    var sizes: (live: Int, idle: Int) { (live, idle.count) }
    /// Requests waiting for a state.
    var queueLength: Int { waiters.count }
    /// Bytes the idle states hold.
    var idleMemory: Int { idle.reduce(0) { $0 + $1.memoryUsed } }

    /// Lends a state, or queues `waiter` until one is free.
    func borrow(orWait waiter: StateWaiter) -> Outcome {
        if let state = idle.popLast() { return lent(state) }
        if live < limits.maximum, let state = makeState() { return lent(state) }
        guard waiters.count < limits.queue else { return .full }
        waiters.append(waiter)
        return .queued
    }

    /// Brings in a new generation of scripts (a reload): idle states of the old one are
    /// closed now, lent ones when their request ends; new requests get states of `scripts`.
    func adopt(_ scripts: ScriptSet) {
        self.scripts = scripts
        reportsLoadErrors = false  // the reload has reported them
        live -= idle.count
        for state in idle { state.isRetired = true }
        idle.removeAll()
        for _ in 0..<limits.initial {
            guard let state = makeState() else { break }
            idle.append(state)
        }
    }

    /// Takes a state back after its request ended. A state that can no longer be
    /// trusted, or that belongs to an older generation, is closed (and replaced when a
    /// request waits for one).
    func giveBack(_ state: LuaState) {
        state.isLent = false
        let id = ObjectIdentifier(state)
        if let timer = reserved[id]?.first, !state.isPoisoned {
            reserved[id]?.removeFirst()
            if reserved[id]?.isEmpty == true { reserved[id] = nil }
            state.isLent = true
            eventLoop.execute { timer(state) }
            return
        }
        reserved[id] = nil
        if state.isRetired { return }  // a timer ran on it after the pool let it go
        state.timesLent += 1
        var next: LuaState? = state
        if state.isPoisoned || state.scripts.generation != scripts.generation {
            live -= 1
            state.isRetired = true
            next = waiters.isEmpty ? nil : makeState()
        } else if let limit = state.lendingLimit, state.timesLent >= limit {
            // --state-max-requests: replaced now, by a fresh state of the same scripts. Each
            // state's limit has its own jitter, so the states of a pool are not replaced together.
            live -= 1
            state.isRetired = true
            logger.debug("a Lua state is replaced after \(state.timesLent) requests (--state-max-requests)")
            next = makeState()
        }
        guard let next else { return }
        if let waiter = waiters.popFirst() {
            next.isLent = true
            eventLoop.execute { waiter.stateIsFree(next) }
        } else {
            idle.append(next)
        }
    }

    /// Lends `state` itself, for one of its timers: at once when it is idle (or retired and
    /// free), else when its request gives it back. False when it can no longer run anything.
    func lend(_ state: LuaState, to timer: @escaping (LuaState) -> Void) -> Bool {
        guard !state.isPoisoned else { return false }
        if state.isLent {
            reserved[ObjectIdentifier(state), default: []].append(timer)
            return true
        }
        if let index = idle.firstIndex(where: { $0 === state }) { idle.remove(at: index) }
        state.isLent = true
        timer(state)
        return true
    }

    private func lent(_ state: LuaState) -> Outcome {
        state.isLent = true
        return .ready(state)
    }

    private func makeState() -> LuaState? {
        do {
            let reports = reportsLoadErrors
            let state = try LuaState(scripts: scripts, limits: luaLimits) { mount, message in
                if reports { self.logger.error("script failed to load: \(message)", metadata: ["script": "\(mount.file)"]) }
            }
            reportsLoadErrors = false
            live += 1
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
    /// States made at start-up.
    public var initial: Int
    /// States at most.
    public var maximum: Int
    /// Requests that may wait for a state before the next gets 503.
    public var queue: Int
    /// Requests a state serves before it is replaced by a fresh one (`--state-max-requests`;
    /// 0: never), plus a jitter of up to a tenth of it, drawn for each state (as gunicorn's
    /// `max_requests_jitter`), so that a pool's states are replaced one at a time.
    public var maxRequestsPerState: Int

    public init(initial: Int = 2, maximum: Int = 64, queue: Int = 1024, maxRequestsPerState: Int = 0) {
        self.initial = initial
        self.maximum = maximum
        self.queue = queue
        self.maxRequestsPerState = maxRequestsPerState
    }
}

/// Who waits for a state of a busy pool: told on the pool's loop when one is free.
protocol StateWaiter: AnyObject {
    func stateIsFree(_ state: LuaState)
}
