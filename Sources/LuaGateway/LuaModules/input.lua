-- `wsgi.input` (SPEC 2.1): a stream over the request body. Bytes come from the server
-- one chunk at a time, asked for by a READ yield, only when a caller needs them. The
-- server resumes a READ with a string (and true when the string ends the body), with nil at
-- the end of the body, or with false and the reason the rest will not come (in the server's words).
local C, need = ...
local SENTINEL, READ = C.sentinel, C.protocol.READ
local object = need("request").object
local co_yield = coroutine.yield
local type, error = type, error
local sfind, ssub, format = string.find, string.sub, string.format
local concat, tointeger = table.concat, math.tointeger

local Input = {}
Input.__index = Input

-- Asks the server for the next chunk (`all`: everything up to the end of the body, or up to
-- the server's bound, in one string); false at the end of the body.
local function more(self, all)
  if self.failure then error(self.failure, 0) end
  if self.done then return false end
  local data, reason = co_yield(SENTINEL, READ, all)
  if data then
    local pos = self.pos
    self.buf = pos > #self.buf and data or ssub(self.buf, pos) .. data
    self.pos = 1
    if reason == true then self.done = true end  -- the body ended with these bytes
    return true
  end
  self.done = true
  if data == false then
    self.failure = "wsgi.input: " .. reason
    error(self.failure, 0)
  end
  return false
end

local function available(self)
  return #self.buf - self.pos + 1
end

local function take(self, n)
  local pos, buf = self.pos, self.buf
  self.pos = pos + n
  if pos == 1 and n == #buf then return buf end  -- the whole chunk: no copy
  return ssub(buf, pos, pos + n - 1)
end

local function read_all(self)
  local parts, k = {}, 0
  repeat
    local n = available(self)
    if n > 0 then k = k + 1; parts[k] = take(self, n) end
  until not more(self, true)
  if k == 1 then return parts[1] end
  return concat(parts, "", 1, k)
end

function Input:read(n)
  if n == nil or n == "a" or n == "*a" then return read_all(self) end
  local count = tointeger(n)
  if not count then
    error(format("bad argument to 'read' (a byte count or \"a\" expected, got %s)", type(n)), 2)
  end
  if count < 0 then return read_all(self) end
  while available(self) < count and more(self) do end
  local a = available(self)
  if a == 0 and (count > 0 or self.done) then return nil end
  return take(self, a < count and a or count)
end

function Input:readline(limit)
  limit = limit and tointeger(limit)
  while true do
    local i = sfind(self.buf, "\n", self.pos, true)
    if i and (not limit or i - self.pos < limit) then return take(self, i - self.pos + 1) end
    local a = available(self)
    if limit and a >= limit then return take(self, limit) end
    if not more(self) then
      a = available(self)
      if a == 0 then return nil end
      return take(self, a)
    end
  end
end

function Input:lines()
  return function()
    local line = self:readline()
    if line and ssub(line, -1) == "\n" then return ssub(line, 1, -2) end
    return line
  end
end

local M = {}

-- The input of the running request (its record `r`, or C.current()'s): one object per request
-- coroutine (a state runs many requests at once), reset for each request.
function M.new(r)
  local input = r and r.input or object("input", Input, r)
  input.buf, input.pos, input.done, input.failure = "", 1, false, nil
  return input
end

return M
