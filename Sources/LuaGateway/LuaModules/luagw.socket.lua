-- `require "luagw.socket"` (SPEC 7): a LuaSocket look-alike over luagw's cosockets, so that
-- LuaSocket-based code runs without blocking its worker: `socket.tcp()`, `socket.connect(host,
-- port)`, timeouts in seconds, LuaSocket's return values (`send` gives the index of the last
-- byte sent; `receive(pattern [, prefix])`). Hand its `tcp` to LuaSocket's own HTTP client:
-- `http.request{url = ..., create = require("luagw.socket").tcp}`.
local C, need = ...
local luagw = need("luagw")
local cosocket = luagw.socket.tcp
local milliseconds = need("tcp").milliseconds
local type, tostring, setmetatable, tointeger = type, tostring, setmetatable, math.tointeger
local ssub = string.sub

local Socket = {}
Socket.__index = Socket

local M = { _VERSION = "LuaSocket 3.0 (luagw " .. C.version .. ")", BLOCKSIZE = 2048,
            gettime = luagw.now, sleep = luagw.sleep }

function M.tcp()
  return setmetatable({ s = cosocket() }, Socket)
end

function M.connect(host, port)
  local sock = M.tcp()
  local ok, err = sock:connect(host, port)
  if not ok then return nil, err end
  return sock
end

function Socket:connect(host, port)
  local ok, err = self.s:connect(host, port)
  if not ok then return nil, err end
  self.peer = { host, port }
  return 1
end

-- seconds; nil or negative: the default (LuaSocket would block for ever: a cosocket never does).
function Socket:settimeout(seconds)
  if type(seconds) == "number" and seconds >= 0 then
    self.s:settimeout(seconds > 0 and milliseconds(seconds) or 1)
  else
    self.s:settimeout(nil)
  end
  return 1
end

function Socket:send(data, i, j)
  data = tostring(data)
  i, j = tointeger(i) or 1, tointeger(j) or #data
  local piece = ssub(data, i, j)
  local sent, err = self.s:send(piece)
  if not sent then return nil, err, i - 1 end
  return i + sent - 1
end

function Socket:receive(pattern, prefix)
  prefix = prefix or ""
  pattern = pattern or "*l"
  if pattern == "*a" or pattern == "a" then
    local data, err, partial = self.s:receive("*a")
    if not data then return nil, err, prefix .. (partial or "") end
    return prefix .. data
  end
  if pattern == "l" then pattern = "*l" end
  local data, err, partial = self.s:receive(pattern)
  if not data then return nil, err, prefix .. (partial or "") end
  return prefix .. data
end

function Socket:close()
  self.s:close()
  return 1
end

-- The cosocket's (SPEC 11): what LuaSec's ssl.wrap would do, in OpenResty's words.
function Socket:sslhandshake(...)
  return self.s:sslhandshake(...)
end

Socket.shutdown = Socket.close

function Socket:getpeername()
  if not self.peer then return nil, "closed" end
  return self.peer[1], self.peer[2]
end

-- What LuaSocket offers and a cosocket does not need: accepted, without effect.
function Socket:setoption() return 1 end
function Socket:getsockname() return nil, "not available" end
function Socket:getfd() return -1 end
function Socket:dirty() return false end
function Socket:getstats() return 0, 0, 0 end

return M
