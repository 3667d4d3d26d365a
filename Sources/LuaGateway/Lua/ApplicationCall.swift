internal import CLuaGatewayBridge
import NIOCore

/// One request's run of the application on a borrowed state's coroutine.
///
/// It resumes the coroutine and tells its caller what the application wants next
/// (a `Step`). While a step is current, its values (head, chunk) stay on the
/// coroutine's stack, where `writeHead` and `writeChunk` copy them straight into the
/// outgoing buffer; the next resume pops them. See `Prelude` for the yields.
struct ApplicationCall {
    /// What the application asks of the server.
    enum Step {
        /// It reads the request body and needs more bytes.
        case needInput
        /// A chunk of body (and, the first time, the head) to send.
        case send(hasHead: Bool)
        /// A file to send as the body, with the head.
        case sendFile(path: String, size: Int64)
        /// The application finished; the head and a whole body are there unless
        /// the response was streamed.
        case finished(hasHead: Bool, hasBody: Bool)
        /// The application computed for a whole time slice: resume it after others had their turn.
        case timeSliceOver
        /// The application failed; the message has its traceback.
        case failed(String)
    }

    /// What the server answers a `send` with.
    enum Verdict: lua_Integer {
        case clientGone = 0
        case goOn = 1
        case stop = 2
    }

    let state: LuaState
    private var thread: OpaquePointer { state.thread }
    /// How many values the current step left on the coroutine's stack.
    private var pending: Int32 = 0
    /// The stack index of the head's first value (code), when the step has a head.
    private var headBase: Int32 = 0
    /// The stack index of the current chunk (a `send` chunk or a `finished` body).
    private var chunkIndex: Int32 = 0

    init(state: LuaState) {
        self.state = state
    }

    /// Starts the application of mount `index` (0-based) with an environ made of
    /// `fixed` keys and the request `headers`.
    mutating func start(index: Int, environ: EnvironBuilder, requestID: ByteBuffer, runOnce: Bool) -> Step {
        let T = thread
        luagw_budget_start(state.main, state.limits.runTime, state.limits.timeSlice)
        lua_rawgeti(T, luagw_registryindex(), lua_Integer(state.serveRef))       // serve
        lua_pushinteger(T, lua_Integer(index + 1))                               // serve index
        guard environ.build(on: T) == LUA_OK else { return failSetup() }         // serve index env
        guard requestID.withLuaBytes({ luagw_pushbytes(state.main, T, $0) }) == LUA_OK else {
            return failSetup()
        }                                                                        // serve index env id
        lua_pushboolean(T, runOnce ? 1 : 0)                                      // serve index env id once
        return resume(arguments: 4)
    }

    /// Resumes a `needInput` step with body bytes.
    mutating func resume(input: ByteBuffer) -> Step {
        popPending()
        guard input.withLuaBytes({ luagw_pushbytes(state.main, thread, $0) }) == LUA_OK else {
            return failSetup()
        }
        return resume(arguments: 1)
    }

    /// Resumes a `needInput` step at the end of the body.
    mutating func resumeAtEndOfInput() -> Step {
        popPending()
        lua_pushnil(thread)
        return resume(arguments: 1)
    }

    /// Why a body cannot be completed; the prelude words the error.
    enum InputFailure: lua_Integer, CaseIterable, CustomStringConvertible {
        case closed = 1
        case tooLarge = 2
        case timedOut = 3
        case malformedChunkSize = 4
        case malformedChunkEnd = 5
        case malformedTrailer = 6

        /// Whether the client's bytes broke the body's framing (the answer is then 400).
        var isMalformed: Bool { rawValue >= InputFailure.malformedChunkSize.rawValue }

        /// Every failure's words as the items of a Lua table constructor, in raw-value order
        /// (they hold no `"` or backslash).
        static var luaList: String {
            allCases.sorted { $0.rawValue < $1.rawValue }.map { "\"\($0.description)\"" }.joined(separator: ", ")
        }

        /// The words of the error the application's read raises (Prelude/Input.swift).
        var description: String {
            switch self {
            case .closed: "the client closed the connection before sending the whole body"
            case .tooLarge: "the request body is larger than the server accepts"
            case .timedOut: "the client stopped sending the body (timed out)"
            case .malformedChunkSize: "the request body's chunked coding is malformed: invalid chunk size or extension"
            case .malformedChunkEnd: "the request body's chunked coding is malformed: chunk data not followed by CRLF"
            case .malformedTrailer: "the request body's chunked coding is malformed: invalid trailer field"
            }
        }
    }

    /// Resumes a `needInput` step with a failure: the rest of the body will not come.
    mutating func resume(inputFailure: InputFailure) -> Step {
        popPending()
        lua_pushboolean(thread, 0)
        lua_pushinteger(thread, inputFailure.rawValue)
        return resume(arguments: 2)
    }

    /// Resumes a `send` or `sendFile` step.
    mutating func resume(_ verdict: Verdict) -> Step {
        popPending()
        lua_pushinteger(thread, verdict.rawValue)
        return resume(arguments: 1)
    }

    /// Resumes the application after its time slice was over.
    mutating func resumeAfterTimeSlice() -> Step {
        resume(arguments: 0)
    }

    /// Whether the run-time limit stopped the application.
    var wasStopped: Bool { state.budget.pointee.killed != 0 }

    /// Ends the call: the coroutine is reset (closing what it holds) for the next request.
    mutating func finish() {
        luagw_budget_stop(state.main)
        pending = 0
        lua_resetthread(thread)
        lua_settop(thread, 0)
    }

    // MARK: the current step's values

    /// The status code of the current step's head.
    var statusCode: Int { Int(lua_tointegerx(thread, headBase, nil)) }

    /// The application's Content-Length, if it set one.
    var contentLength: Int? {
        var isNumber: Int32 = 0
        let n = lua_tointegerx(thread, headBase + 3, &isNumber)
        return isNumber != 0 ? Int(n) : nil
    }

    /// Whether the application set Date (1) and Server (2).
    var headerFlags: Int { Int(lua_tointegerx(thread, headBase + 4, nil)) }

    /// Appends the status ("200 OK") of the current step's head.
    func writeStatus(into buffer: inout ByteBuffer) {
        buffer.writeLuaString(at: headBase + 1, of: thread)
    }

    /// Appends the application's header lines (each ending in CRLF).
    func writeHeaderLines(into buffer: inout ByteBuffer) {
        buffer.writeLuaString(at: headBase + 2, of: thread)
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
        let status = luagw_resume(thread, state.main, arguments, &count)
        pending = count
        let base = lua_gettop(thread) - count + 1  // first result
        switch status {
        case LUA_YIELD where count == 0 && state.budget.pointee.sliced != 0:
            return .timeSliceOver
        case LUA_YIELD:
            guard count >= 2, lua_touserdata(thread, base) == luagw_sentinel() else {
                return .failed("the application yielded outside a coroutine (coroutine.yield at the top level)")
            }
            switch lua_tointegerx(thread, base + 1, nil) {
            case 1:
                return .needInput
            case 2:
                // sentinel, SEND, chunk [, code, line, block, length, flags]
                chunkIndex = base + 2
                headBase = base + 3
                return .send(hasHead: count > 3)
            default:
                // sentinel, FILE, path, size, code, line, block, length, flags
                headBase = base + 4
                return .sendFile(path: LuaState.string(at: base + 2, of: thread) ?? "",
                                 size: Int64(lua_tointegerx(thread, base + 3, nil)))
            }
        case LUA_OK:
            // DONE [, body, code, line, block, length, flags] | FAILED, message
            if lua_tointegerx(thread, base, nil) == 2 {
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
