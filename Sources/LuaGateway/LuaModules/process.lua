-- The process is the server's (SPEC 5). The prelude runs this in every state but `luagw cgi`'s
-- (whose one request is the process, and keeps Lua's own functions):
-- * `os.exit` raises an error instead, which names the caller's file and line, as any error
--   of the application does (500 in a request; a script that calls it while it loads fails to load);
-- * `os.execute` and `io.popen` run `/bin/sh -c COMMAND` without blocking the event loop: the
--   request's coroutine waits (Operations/Processes) while its worker serves others, and reads
--   and writes the child's pipe as a cosocket reads its connection. The time a request waits for
--   its child counts towards its run time: past it, the child is killed and the request stopped
--   as a runaway is (504). A child still running when its request ends is killed. Like every call
--   that waits, they raise an error where Lua cannot yield (a script's top level while it loads).
local C, need = ...
local wait = need("wait").wait
local P = C.protocol
local SPAWN, READ, WRITE, WAIT = P.PROCESS_SPAWN, P.PROCESS_READ, P.PROCESS_WRITE, P.PROCESS_WAIT
local overrun, isyieldable = C.overrun, coroutine.isyieldable
local type, error, select, tostring, tonumber, tointeger = type, error, select, tostring, tonumber, math.tointeger
local setmetatable, getmetatable, unpack, concat = setmetatable, getmetatable, table.unpack, table.concat
local sfind, ssub, byte, format, match = string.find, string.sub, string.byte, string.format, string.match

function os.exit()
  error("os.exit: an application cannot end the server (luagw serve); return a response or raise an error", 2)
end

-- The results of a wait on a child, once the request is known to be within its run time (past
-- it, overrun has the next instruction raise the limit's error).
local function in_time(over, ...)
  if over then overrun() end
  return ...
end

local function child_wait(name, operation, ...)
  return in_time(wait(name, operation, ...))
end

-- os.execute's three results (Lua 5.4's luaL_execresult) for how the child ended.
local function exit_results(exited, code)
  local what = exited and "exit" or "signal"
  if exited and code == 0 then return true, what, code end
  return nil, what, code
end

local function check_command(command, name)
  if type(command) ~= "string" and type(command) ~= "number" then
    error(format("bad argument #1 to '%s' (string expected, got %s)", name, type(command)), 3)
  end
  return tostring(command)
end

function os.execute(command)
  if command == nil then return true end  -- a shell is there
  command = check_command(command, "execute")
  local handle, err = wait("os.execute", SPAWN, command, 0)
  if not handle then return nil, err end
  return exit_results(child_wait("os.execute", WAIT, handle))
end

-- A file of io.popen: its child's handle, what arrived and was not read yet, whether the child's
-- output ended, its mode.
local Pipe = {}
Pipe.__index = Pipe

function io.popen(command, mode)
  command = check_command(command, "popen")
  mode = mode or "r"
  if mode ~= "r" and mode ~= "w" then error("bad argument #2 to 'popen' (invalid mode)", 2) end
  local handle, err = wait("io.popen", SPAWN, command, byte(mode))
  if not handle then return nil, err end
  return setmetatable({ handle = handle, mode = mode, buf = "", ended = false }, Pipe)
end

local function check_open(self)
  if not self.handle then error("attempt to use a closed file", 3) end
end

-- Waits for more of the child's output; false at its end.
local function fill(self)
  if self.ended then return false end
  local chunk = child_wait("read", READ, self.handle)
  if chunk == nil then self.ended = true; return false end
  self.buf = self.buf == "" and chunk or self.buf .. chunk
  return true
end

local function take(self, n)
  local piece = ssub(self.buf, 1, n)
  self.buf = ssub(self.buf, n + 1)
  return piece
end

local function read_line(self, keep_newline)
  local from = 1
  while true do
    local newline = sfind(self.buf, "\n", from, true)
    if newline then
      local line = take(self, newline)
      return keep_newline and line or ssub(line, 1, -2)
    end
    from = #self.buf + 1
    if not fill(self) then return self.buf ~= "" and take(self, #self.buf) or nil end
  end
end

local function read_all(self)
  local parts = { self.buf }
  self.buf = ""
  while fill(self) do
    parts[#parts + 1] = self.buf
    self.buf = ""
  end
  return concat(parts)
end

local function read_count(self, n)
  while #self.buf < n and fill(self) do end
  if self.buf == "" and (n > 0 or not fill(self)) then return nil end
  return take(self, n)
end

-- A numeral (Lua's "n" format): skips white space, then reads what may be part of one.
local function read_number(self)
  while not sfind(self.buf, "[^%s]") and fill(self) do end
  self.buf = match(self.buf, "^%s*(.*)$")
  while match(self.buf, "^[%w%.%+%-]*$") and fill(self) do end
  local numeral = match(self.buf, "^[%w%.%+%-]*")
  take(self, #numeral)
  return tonumber(numeral)
end

local formats = { a = read_all, l = read_line, L = function(self) return read_line(self, true) end, n = read_number }

local function read_one(self, format_, i)
  local count = tointeger(format_)
  if count then
    if count < 0 then error(format("bad argument #%d to 'read' (invalid format)", i), 4) end
    return read_count(self, count)
  end
  local reader = type(format_) == "string" and formats[ssub(format_, byte(format_) == 42 and 2 or 1, -1):sub(1, 1)]
  if not reader then error(format("bad argument #%d to 'read' (invalid format)", i), 4) end
  return reader(self)
end

function Pipe:read(...)
  check_open(self)
  if self.mode ~= "r" then return nil, "Bad file descriptor", 9 end
  local n = select("#", ...)
  if n == 0 then return read_line(self, false) end
  local results = {}
  for i = 1, n do
    results[i] = read_one(self, (select(i, ...)), i)
    if results[i] == nil then return unpack(results, 1, i) end
  end
  return unpack(results, 1, n)
end

function Pipe:lines(...)
  check_open(self)
  local formats_ = { n = select("#", ...), ... }
  return function()
    check_open(self)
    return self:read(unpack(formats_, 1, formats_.n))
  end
end

function Pipe:write(...)
  check_open(self)
  if self.mode ~= "w" then return nil, "Bad file descriptor", 9 end
  local parts = { ... }
  for i = 1, select("#", ...) do
    local t = type(parts[i])
    if t ~= "string" and t ~= "number" then
      error(format("bad argument #%d to 'write' (string expected, got %s)", i, t), 2)
    end
  end
  local ok, err = child_wait("write", WRITE, self.handle, concat(parts))
  if not ok then return nil, err end
  return self
end

function Pipe:flush()
  check_open(self)
  return self
end

function Pipe:setvbuf()
  check_open(self)
  return true
end

function Pipe:seek()
  check_open(self)
  return nil, "Illegal seek", 29
end

-- Closes the pipe and waits for the child to end: os.execute's three results.
function Pipe:close()
  check_open(self)
  local handle = self.handle
  self.handle, self.buf = nil, ""
  return exit_results(child_wait("close", WAIT, handle))
end

-- io.close and io.type know popen'ed files too.
local close, io_type = io.close, io.type

function io.close(file)
  if getmetatable(file) == Pipe then return file:close() end
  return close(file)
end

function io.type(file)
  if getmetatable(file) == Pipe then return file.handle and "file" or "closed file" end
  return io_type(file)
end

-- Where Lua cannot yield (a finalizer), the request's end kills the child.
local function release(self)
  if self.handle and isyieldable() then self:close() end
end
Pipe.__close, Pipe.__gc = release, release

function Pipe:__tostring()
  return self.handle and "file (popen)" or "file (closed)"
end

return {}
