internal import CLuaGatewayBridge
import NIOCore

/// One request's run of the application on a coroutine of its state (SPEC 4: the state runs
/// other requests while this one waits).
///
/// It resumes the coroutine and tells its caller what the application wants next
/// (a `Step`). While a step is current, its values (head, chunk) stay on the
/// coroutine's stack, where `writeHead` and `writeChunk` copy them straight into the
/// outgoing buffer; the next resume pops them. The yields and their values are the
/// protocol of CLuaGatewayBridge.h (`luagw_yield_kind` and the rest).
struct ApplicationCall {
    /// What the application asks of the server.
    enum Step {
        /// It reads the request body and needs more bytes.
        case needInput
        /// It reads the whole rest of the body (`read()`): more bytes in as few pieces as
        /// possible (one for a body of ordinary size), so that Lua need not join them.
        case needAllInput
        /// A chunk of body (and, the first time, the head) to send.
        case send(hasHead: Bool)
        /// `size` bytes of a file from `offset`, to send as the body, with the head.
        case sendFile(path: String, offset: Int64, size: Int64)
        /// The application finished; the head and a whole body are there unless
        /// the response was streamed.
        case finished(hasHead: Bool, hasBody: Bool)
        /// It waits for an operation (`luagw_operation`) whose arguments are the step's values.
        case wait(operation: Int)
        /// The application computed for a whole time slice: resume it after others had their turn.
        case timeSliceOver
        /// The application failed; the message has its traceback.
        case failed(String)
    }

    /// What the server answers a `send` with.
    enum Verdict {
        case clientGone
        case goOn
        case stop

        var value: luagw_verdict {
            switch self {
            case .clientGone: LUAGW_VERDICT_CLIENT_GONE
            case .goOn: LUAGW_VERDICT_GO_ON
            case .stop: LUAGW_VERDICT_STOP
            }
        }
    }

    let state: LuaState
    /// The request's coroutine and its record, the state's until `finish` gives it back.
    let coroutine: RequestCoroutine
    private var thread: OpaquePointer { coroutine.thread }
    private var run: UnsafeMutablePointer<luagw_run> { coroutine.run }
    /// How many values the current step left on the coroutine's stack.
    private var pending: Int32 = 0
    /// The stack index of the head's first value (code), when the step has a head.
    private var headBase: Int32 = 0
    /// The stack index of the current chunk (a `send` chunk or a `finished` body), or of a
    /// `wait` step's first argument.
    private var chunkIndex: Int32 = 0

    init(state: LuaState, coroutine: RequestCoroutine) {
        self.state = state
        self.coroutine = coroutine
    }

    /// Starts the application of mount `index` (0-based) with an environ made of
    /// `fixed` keys and the request `headers`.
    mutating func start(index: Int, environ: EnvironBuilder, requestID: ByteBuffer, runOnce: Bool) -> Step {
        let T = begin(state.serveRef)                                            // serve
        lua_pushinteger(T, lua_Integer(index + 1))                               // serve index
        guard environ.build(on: T) == LUA_OK else { return failSetup() }         // serve index env
        guard requestID.withLuaBytes({ luagw_pushbytes(state.main, T, $0) }) == LUA_OK else {
            return failSetup()
        }                                                                        // serve index env id
        lua_pushboolean(T, runOnce ? 1 : 0)                                      // serve index env id once
        lua_rawgetp(T, luagw_registryindex(), run)                               // serve index env id once record
        return resume(arguments: 5)
    }

    /// Starts timer `id` of this state (timer.lua's run), `premature` when the server shuts
    /// down or a reload replaced the state's scripts.
    mutating func startTimer(id: Int, premature: Bool) -> Step {
        let T = begin(state.runTimerRef)                                         // run
        lua_pushinteger(T, lua_Integer(id))                                      // run id
        lua_pushboolean(T, premature ? 1 : 0)                                    // run id premature
        return resume(arguments: 2)
    }

    /// Starts light thread `id` of this state (thread.lua's run).
    mutating func startThread(id: Int) -> Step {
        let T = begin(state.runThreadRef)                                        // run
        lua_pushinteger(T, lua_Integer(id))                                      // run id
        return resume(arguments: 1)
    }

    /// What names the run, should it block its event loop: the watchdog's labeller gets
    /// `source` then (`RequestRunner.labeller`), and only then is a label made.
    func labelSource(_ source: UnsafeRawPointer) {
        run.pointee.label_source = source
    }

    /// Arms the request's run record and pushes the function anchored at `ref` onto its
    /// coroutine, whose body it is; the coroutine. [-0, +1, -]
    private func begin(_ ref: Int32) -> OpaquePointer {
        luagw_run_start(run, state.limits.runTime, state.limits.timeSlice)
        lua_rawgeti(thread, luagw_registryindex(), lua_Integer(ref))
        return thread
    }

    /// Resumes a `needInput` step with body bytes (`atEnd`: the last of the body).
    mutating func resume(input: ByteBuffer, atEnd: Bool = false) -> Step {
        popPending()
        guard input.withLuaBytes({ luagw_pushbytes(state.main, thread, $0) }) == LUA_OK else {
            return failSetup()
        }
        return resumeInput(atEnd: atEnd)
    }

    /// Resumes with the string pushed, and true after it when it ends the body.
    private mutating func resumeInput(atEnd: Bool) -> Step {
        guard atEnd else { return resume(arguments: 1) }
        lua_pushboolean(thread, 1)
        return resume(arguments: 2)
    }

    /// Resumes a `needInput` step with the bytes `gathered` holds, as a string made of their block
    /// (no copy); `gathered` is empty after.
    mutating func resume(adopting gathered: inout AdoptableString, atEnd: Bool) -> Step {
        popPending()
        guard gathered.push(main: state.main, thread: thread) == LUA_OK else { return failSetup() }
        return resumeInput(atEnd: atEnd)
    }

    /// Resumes a `needInput` step at the end of the body.
    mutating func resumeAtEndOfInput() -> Step {
        popPending()
        lua_pushnil(thread)
        return resume(arguments: 1)
    }

    /// Resumes a `needInput` step with a failure: the rest of the body will not come.
    mutating func resume(inputFailure: InputFailure) -> Step {
        popPending()
        lua_pushboolean(thread, 0)
        guard Array(inputFailure.description.utf8).withLuaBytes({ luagw_pushbytes(state.main, thread, $0) }) == LUA_OK else {
            return failSetup()
        }
        return resume(arguments: 2)
    }

    /// Resumes a `send`, `sendFile` or `wait` step with a verdict.
    mutating func resume(_ verdict: Verdict) -> Step {
        popPending()
        lua_pushinteger(thread, lua_Integer(verdict.value.rawValue))
        return resume(arguments: 1)
    }

    /// Resumes a `wait` step with the operation's results (after GO_ON; a wait the
    /// request cannot finish is resumed with `resume(.clientGone)` instead).
    mutating func resume(results: [OperationValue]) -> Step {
        popPending()
        lua_pushinteger(thread, lua_Integer(LUAGW_VERDICT_GO_ON.rawValue))
        for value in results {
            switch value {
            case .nil:
                lua_pushnil(thread)
            case .boolean(let b):
                lua_pushboolean(thread, b ? 1 : 0)
            case .number(let n):
                lua_pushnumber(thread, n)
            case .integer(let n):
                lua_pushinteger(thread, lua_Integer(n))
            case .bytes(let bytes):
                guard bytes.withLuaBytes({ luagw_pushbytes(state.main, thread, $0) }) == LUA_OK else {
                    return failSetup()
                }
            }
        }
        return resume(arguments: Int32(results.count) + 1)
    }

    /// Resumes the application after its time slice was over.
    mutating func resumeAfterTimeSlice() -> Step {
        resume(arguments: 0)
    }

    /// Seconds of run time the request has left: what it may still spend running Lua and waiting
    /// for its child processes (SPEC 5: os.execute and io.popen count).
    var runTimeLeft: Double { run.pointee.run_limit - run.pointee.spent }

    /// Counts `seconds` spent waiting for a child process towards the request's run time.
    func charge(seconds: Double) {
        run.pointee.spent += seconds
    }

    /// Starts the request's run-time budget over (a WebSocket's `recv` woke up: `--run-time` bounds
    /// the Lua time between two waits).
    func restartRunTime() {
        run.pointee.spent = 0
    }

    /// Whether the run-time limit stopped the application.
    var wasStopped: Bool { run.pointee.killed != 0 }

    /// The router's template that answered (SPEC 10's `route`), if a router did.
    var routeTemplate: String? {
        guard let route = run.pointee.route, route.pointee != 0 else { return nil }
        return String(cString: route)
    }

    /// The message and traceback of the run-time limit's stop, if it stopped the application:
    /// what came after it (cleanup that was stopped too) says less.
    var stopTrace: String? {
        guard wasStopped, let trace = run.pointee.stop_trace, trace.pointee != 0 else { return nil }
        return String(cString: trace)
    }

    /// Ends the call: the coroutine is reset (closing what it holds) and given back to the
    /// state for its next request.
    mutating func finish() {
        luagw_run_stop(run)
        pending = 0
        // A coroutine that returned is ready for the next request as it is; one that failed or
        // is still suspended (the request ended while it waited) is reset, closing what it holds.
        // Not resetting the first kind keeps its stack: resetting shrinks it, and the next
        // request would grow it again (two reallocations a request).
        if lua_status(thread) != LUA_OK { lua_resetthread(thread) }
        lua_settop(thread, 0)
        state.giveBack(coroutine, reusable: !wasStopped)
    }

    // MARK: the current step's values

    /// Where the slot of the current step's head is on the stack.
    private func index(of slot: luagw_head_slot) -> Int32 { headBase + Int32(slot.rawValue) }

    /// The status code of the current step's head.
    var statusCode: Int { Int(lua_tointegerx(thread, index(of: LUAGW_HEAD_CODE), nil)) }

    /// The application's Content-Length, if it set one.
    var contentLength: Int? {
        var isNumber: Int32 = 0
        let n = lua_tointegerx(thread, index(of: LUAGW_HEAD_LENGTH), &isNumber)
        return isNumber != 0 ? Int(n) : nil
    }

    /// Whether the application set the header of `flag` itself.
    func headerIsSet(_ flag: luagw_head_flag) -> Bool {
        Int32(lua_tointegerx(thread, index(of: LUAGW_HEAD_FLAGS), nil)) & Int32(flag.rawValue) != 0
    }

    /// Appends the status ("200 OK") of the current step's head.
    func writeStatus(into buffer: inout ByteBuffer) {
        buffer.writeLuaString(at: index(of: LUAGW_HEAD_LINE), of: thread)
    }

    /// Appends the application's header lines (each ending in CRLF).
    func writeHeaderLines(into buffer: inout ByteBuffer) {
        buffer.writeLuaString(at: index(of: LUAGW_HEAD_BLOCK), of: thread)
    }

    /// The `n`th (0-based) argument of a `wait` step, as a string (nil when it is not one).
    func stringArgument(_ n: Int32) -> String? {
        LuaState.string(at: chunkIndex + n, of: thread)
    }

    /// The `n`th (0-based) argument of a `wait` step, its bytes copied into a new buffer.
    func bytesArgument(_ n: Int32) -> ByteBuffer? {
        guard luagw_isstring(thread, chunkIndex + n) != 0 else { return nil }
        var buffer = ByteBuffer()
        buffer.writeLuaString(at: chunkIndex + n, of: thread)
        return buffer
    }

    /// The `n`th (0-based) argument of a `wait` step, as a number.
    func numberArgument(_ n: Int32) -> Double? {
        var isNumber: Int32 = 0
        let value = lua_tonumberx(thread, chunkIndex + n, &isNumber)
        return isNumber != 0 ? value : nil
    }

    /// The byte count of the current chunk (a `send` chunk or a `finished` body).
    var chunkLength: Int {
        luagw_isstring(thread, chunkIndex) != 0 ? Int(lua_rawlen(thread, chunkIndex)) : 0
    }

    /// Appends up to `limit` bytes of the current chunk.
    func writeChunk(into buffer: inout ByteBuffer, limit: Int = .max) {
        buffer.writeLuaString(at: chunkIndex, of: thread, limit: limit)
    }

    // MARK: resuming

    private mutating func resume(arguments: Int32) -> Step {
        var count: Int32 = 0
        let status = luagw_resume(run, state.main, arguments, &count)
        pending = count
        let base = lua_gettop(thread) - count + 1  // first result
        switch status {
        case LUA_YIELD where count == 0 && run.pointee.sliced != 0:
            return .timeSliceOver
        case LUA_YIELD:
            guard count >= 2, lua_touserdata(thread, base) == luagw_sentinel() else {
                return .failed("the application yielded outside a coroutine (coroutine.yield at the top level)")
            }
            switch lua_Integer(lua_tointegerx(thread, base + 1, nil)) {
            case lua_Integer(LUAGW_YIELD_READ.rawValue):
                // sentinel, READ [, all]
                return count >= 3 && lua_toboolean(thread, base + 2) != 0 ? .needAllInput : .needInput
            case lua_Integer(LUAGW_YIELD_SEND.rawValue):
                // sentinel, SEND, chunk [, head...]
                chunkIndex = base + 2
                headBase = base + 3
                return .send(hasHead: count > 3)
            case lua_Integer(LUAGW_YIELD_FILE.rawValue):
                // sentinel, FILE, path, offset, size, head...
                headBase = base + 5
                return .sendFile(path: LuaState.string(at: base + 2, of: thread) ?? "",
                                 offset: Int64(lua_tointegerx(thread, base + 3, nil)),
                                 size: Int64(lua_tointegerx(thread, base + 4, nil)))
            default:
                // sentinel, WAIT, operation, arguments...
                chunkIndex = base + 3
                return .wait(operation: Int(lua_tointegerx(thread, base + 2, nil)))
            }
        case LUA_OK:
            // DONE [, body, head...] | FAILED, message
            if lua_tointegerx(thread, base, nil) == lua_Integer(LUAGW_OUTCOME_FAILED.rawValue) {
                return .failed(LuaState.string(at: base + 1, of: thread) ?? "unknown error")
            }
            chunkIndex = base + 1
            headBase = base + 2
            return .finished(hasHead: count > 1, hasBody: count > 1 && luagw_isstring(thread, base + 1) != 0)
        default:
            return .failed(LuaState.string(at: -1, of: thread) ?? "error in the request driver")
        }
    }

    private mutating func popPending() {
        lua_settop(thread, -pending - 1)
        pending = 0
    }

    private mutating func failSetup() -> Step {
        state.isPoisoned = true
        return .failed("out of memory while preparing the request")
    }
}
