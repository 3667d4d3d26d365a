-- `luagw.thread` (SPEC 7; `ngx.thread` under luagw.ngx): light threads, OpenResty's model. Each
-- runs `fn(...)` on a coroutine of the request's state, with a runner of its own on the server
-- (Operations/LightThreads.swift), so that several calls of one request wait at once. `spawn`
-- runs the thread until it finishes or waits, then returns its handle; `wait` returns
-- `true, results...` of the first of the given threads to finish (`false, err` if it raised);
-- `kill` ends one that has not. The request's threads still running when it ends are killed.
-- A thread cannot send the response (the request's own code does); its errors go to the
-- request's wsgi.errors; what it deferred (request_end) runs when it ends; its sockets are its own.
local C, need = ...
local wait = need("wait").wait
local errors = need("errors")
local run_request_end = need("request_end").run
local begin_request = need("request").begin
local P = C.protocol
local SPAWN, WAIT, KILL, DONE = P.THREAD_SPAWN, P.THREAD_WAIT, P.THREAD_KILL, P.DONE
local current, traceback = C.current, C.traceback
local type, error, select, tostring, xpcall, setmetatable, getmetatable = type, error, select, tostring, xpcall,
  setmetatable, getmetatable
local pairs, next = pairs, next
local pack, unpack = table.pack, table.unpack

local Thread = {}
Thread.__index = Thread
Thread.__name = "luagw.thread"

-- Threads that have not finished, by id (ids are unique in the state).
local unfinished = {}
local next_id = 0

local M = {}

function M.spawn(fn, ...)
  if type(fn) ~= "function" then
    error("bad argument #1 to 'luagw.thread.spawn' (a function expected, got " .. type(fn) .. ")", 2)
  end
  local parent = current()
  if parent == nil then error("luagw.thread.spawn: only a request or a timer can spawn a thread", 2) end
  next_id = next_id + 1
  local t = setmetatable({ id = next_id, fn = fn, args = pack(...), errors = parent.errors, parent = parent,
                           serial = parent.serial }, Thread)
  unfinished[t.id] = t
  wait("luagw.thread.spawn", SPAWN, t.id, parent.errors and parent.errors.id or "timer")
  return t
end

-- Checks that `t` is a thread the running request (or thread) spawned, for `name` (argument `i`).
local function check(t, name, i)
  if getmetatable(t) ~= Thread then
    error("bad argument #" .. i .. " to '" .. name .. "' (a thread expected, got " .. type(t) .. ")", 3)
  end
  local r = current()
  if t.parent ~= r or t.serial ~= r.serial then
    error("bad argument #" .. i .. " to '" .. name .. "' (a thread spawned by another request or thread)", 3)
  end
end

-- The results a finished thread is waited with.
local function outcome(t)
  t.waited = true
  local r = t.results
  return unpack(r, 1, r.n)
end

function M.wait(...)
  local n = select("#", ...)
  if n == 0 then error("bad argument #1 to 'luagw.thread.wait' (a thread expected)", 2) end
  local threads = pack(...)
  for i = 1, n do
    local t = threads[i]
    check(t, "luagw.thread.wait", i)
    if t.waited then return false, "already waited or killed" end
    if t.results then return outcome(t) end
  end
  local ids = {}
  for i = 1, n do ids[i] = threads[i].id end
  local id = wait("luagw.thread.wait", WAIT, n, unpack(ids, 1, n))
  for i = 1, n do
    if threads[i].id == id then return outcome(threads[i]) end
  end
  return false, "no thread finished"
end

function M.kill(t)
  check(t, "luagw.thread.kill", 1)
  if t.results or t.waited then return nil, "already waited or killed" end
  local ok, err = wait("luagw.thread.kill", KILL, t.id)
  if ok then
    unfinished[t.id] = nil
    t.waited, t.results = true, pack(false, "killed")
  end
  return ok, err
end

-- A thread that record `r`'s request (or thread) spawned and that has not finished, or nil.
function M.unfinished_of(r)
  if next(unfinished) == nil then return nil end
  for _, t in pairs(unfinished) do
    if t.parent == r and t.serial == r.serial and not t.results then return t end
  end
end

-- Runs thread `id` (the server's call): its function's results, or false and the error, which is
-- logged on the request's wsgi.errors as OpenResty logs a failed thread.
function M.run(id)
  local t = unfinished[id]
  if not t then return DONE end  -- killed before it ran
  local r = begin_request()
  r.errors = t.errors  -- the request's, for ngx.log and errors.current() inside the thread
  r.parent = t.parent  -- whose request API (luagw.ngx's) the thread uses
  -- However the thread ends (killed too: its coroutine is closed), it is forgotten here, what it
  -- deferred runs, and its coroutine's record lends the request's errors no more (it serves
  -- other requests next).
  local _ <close> = setmetatable({}, { __close = function()
    unfinished[id] = nil
    local failed_cleanup = run_request_end(r)
    if failed_cleanup and t.errors then t.errors:write("error at the end of a light thread: " .. failed_cleanup .. "\n") end
    r.errors, r.parent = nil, nil
  end })
  local args = t.args
  local results = pack(xpcall(t.fn, traceback, unpack(args, 1, args.n)))
  if not results[1] then
    local log = t.errors or errors.current()
    log:write("light thread failed: " .. tostring(results[2]) .. "\n")
  end
  t.results = results
  return DONE
end

return M
