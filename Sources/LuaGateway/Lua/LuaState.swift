internal import CLuaGatewayBridge

/// One Lua state: the prelude, every script of a script set loaded, and the coroutines
/// that run its requests, many at once (SPEC 4), each on a `RequestCoroutine` of its own,
/// reused by the next request. Its one owner is the pool of one event loop (requests and
/// timers that run on it hold it until they end); it is used on that loop's thread only,
/// and closed when released.
final class LuaState {
    /// The main thread of the state.
    let main: OpaquePointer
    /// The scripts this state has loaded; its mounts are indexed like the apps.
    let scripts: ScriptSet
    /// Where `serve` (the prelude's request driver) is anchored in the registry.
    let serveRef: Int32
    /// Where `run_timer` (timer.lua's run) is anchored.
    let runTimerRef: Int32
    /// Where `run_thread` (thread.lua's run) is anchored.
    let runThreadRef: Int32
    /// What the state may spend.
    let limits: LuaLimits
    /// Its budget, kept by the C side: the memory it holds (each request's time is in its
    /// coroutine's record).
    let budget: UnsafeMutablePointer<luagw_budget>
    /// Set when the state can no longer be trusted and must take no new request (its running
    /// requests finish; the pool replaces it).
    var isPoisoned: Bool {
        get { poisoned || budget.pointee.out_of_memory != 0 }
        set { poisoned = newValue }
    }
    private var poisoned = false
    /// By mount index: whether that script returned no application (a module, not mounted).
    private(set) var isModule: [Bool]
    /// Kept by the pool: the requests and timer runs running on the state now.
    var running = 0
    /// Kept by the pool: the accepted WebSockets whose requests run on the state (SPEC 12). They
    /// are not counted in `running`: a WebSocket that stays for hours leaves room for requests.
    var webSockets = 0
    /// Nothing runs on the state: no request, timer run or WebSocket.
    var isIdle: Bool { running + webSockets == 0 }
    /// Set by the pool: the state takes no new requests (a reload replaced its scripts, it is
    /// poisoned, or it served its `--state-max-requests`); it closes once its requests end.
    var isRetired = false
    /// Kept by the pool: how many requests and timer runs the state ran, and after how many it
    /// is replaced (`--state-max-requests`; nil: never).
    var timesLent = 0
    var lendingLimit: Int?
    /// Coroutines free for the next request, and every record made (freed when the state closes).
    private var spareCoroutines: [RequestCoroutine] = []
    private var runs: Set<UnsafeMutablePointer<luagw_run>> = []
    /// Spare coroutines kept at least; past that, no more spares than running requests (a burst's
    /// coroutines are let go as it drains).
    private static let sparesKept = 64

    /// Makes a state and loads every script of `scripts` into it. A script that fails
    /// to load is reported to `onLoadError` and answers 500 (SPEC 4); one that returns no
    /// application (nothing, a table...) is a module, reported to `onModule` with what it
    /// returned, and not mounted (`isModule`).
    init(scripts: ScriptSet, limits: LuaLimits = LuaLimits(), onModule: (Mount, String) -> Void = { _, _ in },
         onLoadError: (Mount, String) -> Void) throws(LuaError) {
        guard let L = luagw_newstate(limits.memoryPerState) else { throw .outOfMemory }
        var refs: [Int32] = []
        let status = Prelude.prepare(L, limits: limits, refs: &refs)
        guard status == LUA_OK else {
            let message = LuaState.string(at: -1, of: L) ?? "unknown error"
            luagw_close(L)
            throw .setup(message)
        }
        self.main = L
        self.scripts = scripts
        self.isModule = Array(repeating: false, count: scripts.mounts.count + 1)
        self.limits = limits
        self.budget = luagw_budget_of(L)
        self.serveRef = refs[Prelude.Result.serve.rawValue]
        self.runTimerRef = refs[Prelude.Result.runTimer.rawValue]
        self.runThreadRef = refs[Prelude.Result.runThread.rawValue]
        // Loading runs the scripts' top levels: the run-time limit holds there too.
        luagw_budget_watch_load(L, limits.runTime)
        defer { luagw_budget_stop(L) }
        try call(ref: refs[Prelude.Result.setRoot.rawValue],
                 arguments: [.bytes(Array(scripts.root.utf8)), .bytes(Array(limits.luaPath.joined(separator: "\n").utf8)),
                             .bytes(Array(limits.luaCPath.joined(separator: "\n").utf8)), .integer(limits.compat51 ? 1 : 0)])
        for (relative, source) in scripts.modules {
            try call(ref: refs[Prelude.Result.addModule.rawValue], arguments: [.bytes(Array(relative.utf8)), .bytes(source)])
        }
        for (index, mount) in scripts.mounts.enumerated() {
            do {
                let middlewares = Array(mount.middlewares.joined(separator: "\n").utf8)
                let returned = try call(ref: refs[Prelude.Result.loadApp.rawValue],
                                        arguments: [.integer(index + 1), .bytes(mount.source), .bytes(Array(("@" + mount.file).utf8)),
                                                    .bytes(Array(mount.path.utf8)), .bytes(middlewares), .integer(limits.lint ? 1 : 0)],
                                        failureIsSecondResult: true)
                if let returned {
                    isModule[index] = true
                    onModule(mount, returned)
                }
            } catch {
                onLoadError(mount, error.message)
                luagw_budget_clear(L)
            }
        }
        if let publicDirectory = scripts.publicDirectory {
            try call(ref: refs[Prelude.Result.loadPublic.rawValue],
                     arguments: [.integer(scripts.publicIndex + 1), .bytes(Array(publicDirectory.utf8))])
        }
    }

    deinit {
        let held = budget.pointee.used
        luagw_close(main)
        for run in runs { luagw_run_free(nil, run) }
        if held >= Self.releasedAbove { MemoryRelease.request() }
    }

    /// Bytes a closing state holds past which their memory is given back to the system.
    private static let releasedAbove = 4 << 20

    /// Lua's error when an allocation is refused (`--memory-per-state`).
    static let outOfMemoryMessage = "not enough memory"

    /// After a request of a state that ran out of memory failed for it: what the request held
    /// is freed (and given back to the system) now, while the state's other requests finish,
    /// not when the state closes.
    func collectAfterRunningOut() {
        guard budget.pointee.out_of_memory != 0, running > 0 else { return }
        let held = budget.pointee.used
        luagw_budget_collect(main)
        if held - budget.pointee.used >= Self.releasedAbove { MemoryRelease.request() }
    }

    /// A coroutine for a new request: a spare one, or a new one; nil when out of memory.
    func takeCoroutine() -> RequestCoroutine? {
        if let spare = spareCoroutines.popLast() { return spare }
        guard let run = luagw_run_new(main) else { return nil }
        runs.insert(run)
        return RequestCoroutine(run: run)
    }

    /// Every coroutine the state made (spare or running a request): what a stack-balance
    /// check looks at.
    var coroutines: [RequestCoroutine] { runs.map(RequestCoroutine.init) }

    /// Takes back the coroutine of a request that ended (its stack empty, its status ok). One
    /// that the run-time limit stopped is not `reusable`: the error its hook raised left Lua's
    /// hooks off on it for good (lua_resetthread does not turn them on again), so it is let go;
    /// so is one more spare than a drained burst needs.
    func giveBack(_ coroutine: RequestCoroutine, reusable: Bool) {
        guard reusable, spareCoroutines.count < max(Self.sparesKept, running) else {
            runs.remove(coroutine.run)
            return luagw_run_free(main, coroutine.run)
        }
        spareCoroutines.append(coroutine)
    }

    enum Argument {
        case integer(Int)
        case bytes([UInt8])
    }

    /// Calls the function anchored at `ref` in protected mode. With `failureIsSecondResult`,
    /// a `false, message` result counts as a failure too. [-0, +0, -]
    /// Calls the function anchored at `ref` with `arguments`; with `failureIsSecondResult`, a
    /// false first result throws the second, and a true one returns the second when it is a string.
    @discardableResult
    private func call(ref: Int32, arguments: [Argument], failureIsSecondResult: Bool = false) throws(LuaError) -> String? {
        let L = main
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, luagw_registryindex(), lua_Integer(ref))
        for argument in arguments {
            switch argument {
            case .integer(let n):
                lua_pushinteger(L, lua_Integer(n))
            case .bytes(let bytes):
                let status = bytes.withLuaBytes { luagw_pushbytes(L, L, $0) }
                guard status == LUA_OK else { throw .runtime(LuaState.string(at: -1, of: L) ?? "out of memory") }
            }
        }
        guard luagw_pcall(L, Int32(arguments.count), 2) == LUA_OK else {
            throw .runtime(LuaState.string(at: -1, of: L) ?? "unknown error")
        }
        guard failureIsSecondResult else { return nil }
        if lua_toboolean(L, -2) == 0 {
            throw .runtime(LuaState.string(at: -1, of: L) ?? "unknown error")
        }
        return lua_type(L, -1) == LUA_TSTRING ? LuaState.string(at: -1, of: L) : nil
    }

    /// Bytes the state holds (its budget's count).
    var memoryUsed: Int { Int(budget.pointee.used) }

    /// Where a request's coroutine is while it waits (it must be suspended: this runs on the
    /// state's event loop between two resumes): its traceback, or nil. [-0, +0, -]
    func whereItWaits(_ coroutine: RequestCoroutine) -> String? {
        let top = lua_gettop(main)
        defer { lua_settop(main, top) }
        guard luagw_suspended_traceback(main, coroutine.thread) == LUA_OK else { return nil }
        return LuaState.string(at: -1, of: main)
    }

    /// Compiles `source` without running it; the compiler's message ("file:line: ...")
    /// when it does not compile. lua_load is protected itself. [-0, +0, -]
    func compileError(_ source: [UInt8], file: String) -> String? {
        let top = lua_gettop(main)
        defer { lua_settop(main, top) }
        let status = source.withLuaBytes { luaL_loadbufferx(main, $0.data, $0.length, "@" + file, "t") }
        return status == LUA_OK ? nil : LuaState.string(at: -1, of: main) ?? "cannot compile \(file)"
    }

    /// The string at `index`, or nil when it is not a string (no conversion: a number
    /// stays a number, so nothing here allocates). [-0, +0, -]
    static func string(at index: Int32, of L: OpaquePointer) -> String? {
        guard luagw_isstring(L, index) != 0 else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(L, index, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
