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
local raise = need("traced_error").raise
local current = C.current
local type, error, tostring, loadfile = type, error, tostring, loadfile
local resume = need("coroutines").resume
local create, status, close = coroutine.create, coroutine.status, coroutine.close
local traceback = debug.traceback
local EXIT, finish = output.EXIT, output.finish
local begin = request.begin

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
    local t = thread.unfinished_of(r)
    if not t then return end
    thread.wait(t)
  end
end

function M.app(handler)
  local fn = handler_of(handler)
  return function(environ, start_response)
    local r = current()
    local n = begin(r, environ, start_response)
    local co = create(fn)
    local ok, yielded = resume(co)
    if not ok then
      local trace = traceback(co, tostring(yielded))
      close(co)
      raise(trace)
    end
    if status(co) == "suspended" then
      close(co)  -- its to-be-closed variables are closed
      if yielded ~= EXIT then error("luagw.ngx.app: the handler yielded outside a coroutine of its own", 0) end
    else
      wait_for_threads(r)
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
