-- Transparent coroutines (SPEC 2.1): a coroutine that the application made passes the
-- server's own yields (those that start with the sentinel) up to the server untouched,
-- and resumes its inner coroutine with the server's answer. `coroutine.resume` and
-- `coroutine.wrap` are replaced (wrap by C.wrap); everything else is Lua's.
local C = ...
local SENTINEL, enter, leave = C.sentinel, C.enter, C.leave
local co_resume, co_yield, co_status = coroutine.resume, coroutine.yield, coroutine.status

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

local M = {}

function M.resume(co, ...)
  return relay(co, resume(co, ...))
end

-- The same relay in C (coroutines.c): a generator body is resumed once a chunk.
M.wrap = C.wrap

coroutine.resume, coroutine.wrap = M.resume, M.wrap
return M
