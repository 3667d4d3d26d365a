-- `luagw.timer.at(delay, fn, ...)` and `luagw.timer.every(interval, fn, ...)` (SPEC 7). The
-- function stays in this state (its upvalues are here); the server (Timers/TimerTable.swift)
-- counts the pending timers of the worker, and when one is due it borrows this very state and
-- runs `run(id, premature)` as the body of a coroutine, with a request's facilities and limits.
local C, need = ...
local wait = need("wait").wait
local begin_request = need("request").begin
local run_request_end = need("request_end").run
local P = C.protocol
local TIMER, CANCEL, DONE, FAILED = P.TIMER, P.TIMER_CANCEL, P.DONE, P.FAILED
local type, error, tostring, tonumber, xpcall, setmetatable = type, error, tostring, tonumber, xpcall, setmetatable
local pack, unpack, traceback = table.pack, table.unpack, C.traceback

-- Pending timers of this state by id: { fn, args, every }.
local pending = {}
local next_id = 0

local Handle = {}
Handle.__index = Handle

-- Cancels the timer: true, or nil and "not found" when it already ran (or was cancelled).
function Handle:cancel()
  if not pending[self.id] then return nil, "not found" end
  pending[self.id] = nil
  return wait("cancel", CANCEL, self.id)
end

local function format_error(name, argument, expected)
  return "bad argument " .. argument .. " to '" .. name .. "' (" .. expected .. " expected)"
end

local function start(name, seconds, fn, every, ...)
  local s = tonumber(seconds)
  if not s or s < 0 or s ~= s then error(format_error(name, "#1", "a number of seconds, 0 or more"), 3) end
  if type(fn) ~= "function" then error(format_error(name, "#2", "a function"), 3) end
  next_id = next_id + 1
  local id = next_id
  pending[id] = { fn = fn, args = pack(...), every = every }
  local ok, err = wait(name, TIMER, id, s, every and s or 0)
  if not ok then pending[id] = nil; return nil, err end
  return setmetatable({ id = id }, Handle)
end

local M = {}

function M.at(delay, fn, ...)
  return start("luagw.timer.at", delay, fn, false, ...)
end

function M.every(interval, fn, ...)
  if tonumber(interval) == 0 then error("bad argument #1 to 'luagw.timer.every' (an interval above 0 expected)", 2) end
  return start("luagw.timer.every", interval, fn, true, ...)
end

-- Runs timer `id` (the server's call): DONE, or FAILED and the error with its traceback.
function M.run(id, premature)
  local r = begin_request()
  local timer = pending[id]
  if not timer then return DONE end  -- cancelled meanwhile
  if not timer.every or premature then pending[id] = nil end
  local args = timer.args
  local ok, err = xpcall(timer.fn, traceback, premature, unpack(args, 1, args.n))
  local failed_cleanup = run_request_end(r)  -- what the run deferred (an upload's file, ...)
  if not ok then return FAILED, "timer: " .. tostring(err) end
  if failed_cleanup then return FAILED, "timer: error at the end of the run: " .. failed_cleanup end
  return DONE
end

return M
