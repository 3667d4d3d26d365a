/// The Lua half of the application protocol, run once in every new state.
///
/// It is Lua source kept in Swift string literals, one file per concern, joined in
/// order into one chunk so that its pieces share locals. The chunk receives the C
/// helpers (`traceback`, `log`, `safe`, `sentinel`) and returns the gateway table whose
/// `serve` runs one request as a coroutine and whose `load_app` loads one script.
///
/// The protocol between a request's coroutine and Swift (see ApplicationCall):
/// every yield to the server starts with the sentinel, then a kind:
/// `READ` asks for request body bytes (resumed with a string, with nil at the
/// end, or with false and a message when the body cannot be completed);
/// `SEND, chunk [, head...]` hands over body bytes (resumed with a verdict);
/// `FILE, path, head...` hands over a file the server streams itself.
/// `serve` returns `DONE [, body, head...]` or `FAILED, message`.
enum Prelude {
    static let chunkName = "=luagw"

    static var source: String {
        [header, coroutines, input, errors, startResponse, fileWrapper, driver].joined(separator: "\n")
    }

    static let header = #"""
    local C = ...
    local SENTINEL, traceback, log, safe = C.sentinel, C.traceback, C.log, C.safe
    local VERSION = "\#(GatewayVersion.string)"
    local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
    local co_status, co_close = coroutine.status, coroutine.close
    local type, error, tostring, tonumber = type, error, tostring, tonumber
    local pairs, next, rawget, xpcall, load = pairs, next, rawget, xpcall, load
    local setmetatable, getmetatable = setmetatable, getmetatable
    local concat, sort = table.concat, table.sort
    local sfind, ssub, lower, format = string.find, string.sub, string.lower, string.format
    local mtype, tointeger = math.type, math.tointeger
    local READ, SEND, FILE = 1, 2, 3
    local DONE, FAILED = 1, 2
    local GONE, GO_ON = 0, 1
    local gw = { apps = {} }
    -- Requests make short-lived garbage: the generational collector suits it best.
    collectgarbage("generational")
    """#
}
