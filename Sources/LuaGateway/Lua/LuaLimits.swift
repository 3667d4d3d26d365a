/// What one Lua state may spend (SPEC 5): its memory, and each request's run time; and how
/// it is set up (where `require` looks, the 5.1 compatibility globals: SPEC 9).
public struct LuaLimits: Sendable {
    /// Bytes a state may hold, for all the requests it runs; the request that allocates past it
    /// gets an error (500), and its state takes no new requests and is replaced.
    public var memoryPerState: Int
    /// Seconds of running Lua a request may use (time spent waiting for the client does
    /// not count; waiting for a command of os.execute or io.popen does); a runaway is stopped
    /// alone with an error (504), its state's other requests go on.
    public var runTime: Double
    /// Seconds a request may compute before it yields to the other requests of its event
    /// loop (0: never), so that one long computation does not stall them.
    public var timeSlice: Double

    /// Seconds a socket or HTTP-client call (SPEC 7) may wait unless the application sets its
    /// own timeout; waiting does not count towards `runTime`.
    public var socketTimeout: Double

    /// Whether every script is wrapped in luagw.web.lint (SPEC 8), which reports misuses of the
    /// contract to the log: `--dev` sets it.
    public var lint = false

    /// Directories `require` searches after the script directory, for `DIR/?.lua` and
    /// `DIR/?/init.lua` (`--lua-path`), and for `DIR/?.so` (`--lua-cpath`).
    public var luaPath: [String] = []
    public var luaCPath: [String] = []

    /// Whether every state requires luagw.compat51 before its scripts (`--compat51`).
    public var compat51 = false

    /// Whether applications are sandboxed (`--sandbox`, SPEC 5): `os.execute`, `io.popen`,
    /// `os.exit`, `package.loadlib` and C modules are removed, and files are written, renamed and
    /// removed only in the served directory and the temporary directory.
    public var sandbox = false

    /// Whether a state runs several requests at once (`--requests-per-state` above 1; the pool
    /// sets it): what `wsgi.multithread` says, as gunicorn's gevent worker says it of greenlets.
    var concurrentRequests = false

    /// Whether the state runs `luagw cgi`'s one request, which is the whole process: the
    /// application keeps the standard `os.exit` (under `luagw serve` it raises: SPEC 5).
    var isCGI = false

    public init(memoryPerState: Int = 128 << 20, runTime: Double = 30, timeSlice: Double = 0.002,
                socketTimeout: Double = 60) {
        self.socketTimeout = socketTimeout
        self.memoryPerState = memoryPerState
        self.runTime = runTime
        self.timeSlice = timeSlice
    }
}
