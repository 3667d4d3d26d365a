-- Transparent coroutines (SPEC 2.1): a coroutine that the application made passes the
-- server's own yields (those that start with the sentinel) up to the server untouched,
-- and resumes its inner coroutine with the server's answer. `coroutine.resume` and
-- `coroutine.wrap` are replaced; everything else is Lua's.
local C = ...
local SENTINEL, enter, leave = C.sentinel, C.enter, C.leave
local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
local co_status, co_close = coroutine.status, coroutine.close
local error = error

-- Resumes co, noted as running (the run-time watchdog must be able to stop it too).
local function resume(co, ...)
  return leave(enter(co), co_resume(co, ...))
end

local function relay(co, ok, first, ...)
  if ok and first == SENTINEL and co_status(co) == "suspended" then
    return relay(co, resume(co, co_yield(SENTINEL, ...)))
  end
  return ok, first, ...
end

local function unwrap(co, ok, ...)
  if ok then return ... end
  if co_status(co) == "dead" then co_close(co) end
  error((...), 0)
end

local M = {}

function M.resume(co, ...)
  return relay(co, resume(co, ...))
end

function M.wrap(f)
  local co = co_create(f)
  return function(...)
    return unwrap(co, relay(co, resume(co, ...)))
  end
end

coroutine.resume, coroutine.wrap = M.resume, M.wrap
return M
