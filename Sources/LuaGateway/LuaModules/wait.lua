-- Waiting for an operation of the server (SPEC 7), OpenResty's model: the request's
-- coroutine yields `WAIT, operation, arguments...`; the server starts that operation
-- (a Swift type of its own, Sources/LuaGateway/Operations), resumes the coroutine with
-- its results, and cancels it if the request ends first. The step loop knows no
-- operation by name; luagw.sleep and, later, every socket call are operations.
local C = ...
local SENTINEL, WAIT, GONE = C.sentinel, C.protocol.WAIT, C.protocol.GONE
local co_yield, isyieldable = coroutine.yield, coroutine.isyieldable
local error, format = error, string.format

-- The server resumes a wait with GO_ON and the results, or with GONE when the request
-- cannot go on (the client went away): then it unwinds, its body's close runs.
local function resumed(verdict, ...)
  if verdict == GONE then error("the client went away", 0) end
  return ...
end

local M = {}

-- Waits for `operation` (a number of C.protocol) on behalf of the function `name`, which
-- the error names where Lua cannot yield; returns the operation's results.
function M.wait(name, operation, ...)
  if not isyieldable() then
    error(format("%s: cannot wait here (Lua cannot yield in a script's top level while it loads, "
      .. "a table.sort comparator, a string.gsub callback or a __gc metamethod)", name), 3)
  end
  return resumed(co_yield(SENTINEL, WAIT, operation, ...))
end

return M
