-- `require("luagw.ngx").app(handler)` (SPEC 7): an OpenResty content handler as a luagw application.
-- `handler` is a function, or the path of a Lua file relative to the served directory, compiled
-- once and run per request as content_by_lua_file runs it. Each request runs the handler in a
-- coroutine of its own (luagw's transparent coroutines pass the server's yields through), so that
-- ngx.exit ends it wherever it is called; what it said is the response (luagw.ngx.output); its
-- light threads are waited for before the response ends, as in OpenResty; its errors are the
-- request's (luagw's 500, the traceback in the log, taken where the error was raised).
local C, need = ...
local request = need("luagw.ngx.request")
local output = need("luagw.ngx.output")
local scripts = need("scripts")
local thread = need("thread")
local traced = need("traced_error")
local raise, on_failure = traced.raise, traced.message
local current = C.current
local type, error, xpcall, loadfile, setmetatable = type, error, xpcall, loadfile, setmetatable
local wrap = need("coroutines").wrap
local close, co_yield, running = coroutine.close, coroutine.yield, coroutine.running
local EXIT, finish = output.EXIT, output.finish
local begin = request.begin
local unfinished_of = thread.unfinished_of

local M = {}

-- The handler function: `handler` itself, or the chunk of the file it names.
local function handler_of(handler)
  if type(handler) == "function" then return handler end
  if type(handler) ~= "string" then
    error("bad argument #1 to 'luagw.ngx.app' (a function or a file path expected, got " .. type(handler) .. ")", 3)
  end
  local chunk, err = loadfile(scripts.root .. "/" .. handler)
  if not chunk then error("luagw.ngx.app: " .. err, 3) end
  return chunk
end

-- Waits for the light threads the request (record `r`) spawned and that are still running.
local function wait_for_threads(r)
  while true do
    local t = unfinished_of(r)
    if not t then return end
    thread.wait(t)
  end
end

-- Workers: coroutines that run handlers, each known by its step function (resumes it, relaying the
-- server's yields in C: coroutines.c's wrap). A worker whose handler returned serves the state's
-- next request (making one costs more than the rest of a short request); one left by ngx.exit
-- (closed: its to-be-closed variables run) or by an error (perhaps stopped by --run-time, which
-- leaves its hooks off) is let go. One idle worker waits in `spare`, more (at most IDLE_MAX) in `idle`.
local spare, idle, idle_count, IDLE_MAX = nil, {}, 0, 16
local coroutine_of = setmetatable({}, { __mode = "k" })  -- a worker's coroutine, by its step function
local RETURNED = setmetatable({}, { __name = "luagw.ngx.app: returned" })
local FAILED = setmetatable({}, { __name = "luagw.ngx.app: failed" })

-- Runs each handler the worker is resumed with (`handler` the first), until one fails.
local function run_handlers(handler)
  while true do
    handler()  -- named so in a traceback: "in local 'handler'"
    handler = co_yield(RETURNED)
  end
end

-- A worker's body: says which coroutine it is, then runs handlers in one protected call (yields
-- cross it), the error of the one that fails with the traceback taken where it was raised.
local function serve()
  local _, err = xpcall(run_handlers, on_failure, co_yield(running()))
  co_yield(FAILED, err)
end

-- A worker from `idle`, or a new one.
local function idle_worker()
  local k = idle_count
  if k == 0 then
    local step = wrap(serve)
    coroutine_of[step] = step()
    return step
  end
  local step = idle[k]
  idle[k], idle_count = nil, k - 1
  return step
end

-- Keeps worker `step` in `idle` for a later request, if there is room.
local function keep(step)
  local k = idle_count
  if k < IDLE_MAX then idle[k + 1], idle_count = step, k + 1 end
end

function M.app(handler)
  local fn = handler_of(handler)
  return function(environ, start_response)
    local r = current()
    local n = begin(r, environ, start_response)
    local step = spare
    if step then
      spare = nil
    else
      step = idle_worker()
    end
    local outcome, err = step(fn)
    if outcome == RETURNED then
      if spare == nil then spare = step else keep(step) end
      if unfinished_of(r) then wait_for_threads(r) end
    elseif outcome == FAILED then
      raise(err)
    else
      close(coroutine_of[step])  -- ngx.exit: its to-be-closed variables are closed
      if outcome ~= EXIT then error("luagw.ngx.app: the handler yielded outside a coroutine of its own", 0) end
    end
    return finish(n)
  end
end

-- Puts the request API, the output functions and `app` into `ngx` (luagw.ngx's table).
function M.install(ngx)
  request.install(ngx)
  output.install(ngx)
  ngx.app = M.app
end

return M
