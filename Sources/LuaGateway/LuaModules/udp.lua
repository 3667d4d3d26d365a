-- The UDP cosocket (SPEC 7): `ngx.socket.udp()` and `luagw.socket.udp()`, with OpenResty's
-- methods and return values: `setpeername` connects the socket to one peer (operation
-- UDP_PEER, Operations/Sockets/UDPSetPeerName.swift), then `send` and `receive` carry one
-- datagram each over the TCP cosocket's operations (SEND_BYTES, RECEIVE, CLOSE). Failures are
-- `nil, err`; a receive's timeout leaves the socket usable. The request's end closes it.
local C, need = ...
local wait = need("wait").wait
local bytes = need("send_data").bytes
local P = C.protocol
local PEER, SEND, RECEIVE, CLOSE = P.UDP_PEER, P.SEND_BYTES, P.RECEIVE, P.CLOSE
local type, error, tonumber, tointeger, setmetatable = type, error, tonumber, math.tointeger, setmetatable
local select, ssub, format, floor = select, string.sub, string.format, math.floor
local isyieldable = coroutine.isyieldable

-- Seconds a receive waits unless settimeout says otherwise (--socket-timeout, as for TCP).
local DEFAULT_TIMEOUT = C.socket_timeout
-- The largest datagram receive returns (OpenResty's UDP_MAX_DATAGRAM_SIZE).
local MAX_DATAGRAM = 65536

local Socket = {}
Socket.__index = Socket

local M = {}

function M.udp(...)
  local n = select("#", ...)
  if n ~= 0 then error(format("expecting zero arguments, but got %d", n), 2) end
  return setmetatable({ timeout = DEFAULT_TIMEOUT }, Socket)
end

-- settimeout(ms): how long a receive waits; 0, or anything not a number, for the default
-- (as OpenResty's, which reads the argument with lua_tonumber).
function Socket:settimeout(ms)
  ms = tonumber(ms)
  self.timeout = ms and ms > 0 and ms / 1000 or DEFAULT_TIMEOUT
end

function Socket:close()
  local handle = self.handle
  if not handle then return nil, "closed" end
  self.handle = nil
  -- Where Lua cannot yield, the request's end closes it.
  if isyieldable() then wait("close", CLOSE, handle) end
  return 1
end

-- setpeername(host, port) or setpeername("unix:/path"): 1, or nil and the error. A socket
-- that had a peer is closed first.
function Socket:setpeername(host, port)
  if type(host) ~= "string" then error("bad argument #1 to 'setpeername' (host expected)", 2) end
  local number = 0
  if port ~= nil then
    number = tointeger(tonumber(port))
    if not number then error("bad argument #2 to 'setpeername' (port expected)", 2) end
    if number < 0 or number > 65535 then return nil, format("bad port number: %d", number) end
  elseif ssub(host, 1, 5) ~= "unix:" then
    error("bad argument #2 to 'setpeername' (port expected)", 2)
  end
  if self.handle then self:close() end
  local handle, err = wait("setpeername", PEER, host, number)
  if not handle then return nil, err end
  self.handle = handle
  return 1
end

-- send(data): one datagram (a string, number, boolean or array of strings); 1, or nil and
-- the error.
function Socket:send(data)
  if not self.handle then return nil, "closed" end
  local sent, err = wait("send", SEND, self.handle, bytes(data), self.timeout)
  if not sent then
    self.handle = nil  -- a failed send closed the socket
    return nil, err
  end
  return 1
end

-- receive([size]): the next datagram, cut to `size` bytes (at most and by default 65536); nil
-- and "timeout" when none came in time (the socket stays usable), or nil and the error.
function Socket:receive(size)
  if not self.handle then return nil, "closed" end
  if size ~= nil then
    size = tonumber(size)
    if not size then error("bad argument #1 to 'receive' (number expected)", 2) end
    size = size >= 0 and size < MAX_DATAGRAM and floor(size) or nil
  end
  local data, err = wait("receive", RECEIVE, self.handle, self.timeout)
  if not data then
    if err == "closed" then self.handle = nil end
    return nil, err
  end
  if size and #data > size then data = ssub(data, 1, size) end
  return data
end

return M
