-- The TCP cosocket (SPEC 7): `luagw.socket.tcp()` and `ngx.socket.tcp()`, with OpenResty's
-- method set and return conventions (timeouts in milliseconds; failures `nil, err`). The
-- server's operations (Operations/Sockets) connect, send, hand over what arrived, pool and
-- close; the patterns of receive and receiveuntil are read here, from this object's buffer.
local C, need = ...
local wait = need("wait").wait
local bytes = need("send_data").bytes
local P = C.protocol
local CONNECT, SEND, RECEIVE, KEEPALIVE, CLOSE = P.CONNECT, P.SEND_BYTES, P.RECEIVE, P.KEEPALIVE, P.CLOSE
local HANDSHAKE = P.SSL_HANDSHAKE
local type, error, tostring, tonumber, tointeger, setmetatable = type, error, tostring, tonumber, math.tointeger, setmetatable
local floor, min, max = math.floor, math.min, math.max
local sfind, ssub, gsub, byte, format = string.find, string.sub, string.gsub, string.byte, string.format
local CR = 13
local isyieldable = coroutine.isyieldable

-- Seconds a connect, send or receive may wait unless settimeout says otherwise (SPEC 7:
-- --socket-timeout).
local DEFAULT_TIMEOUT = C.socket_timeout
-- OpenResty's lua_socket_keepalive_timeout and lua_socket_pool_size defaults.
local POOL_IDLE, POOL_SIZE = 60, 30

local Socket = {}
Socket.__index = Socket

local M = {}

function M.tcp()
  return setmetatable({ buf = "", pos = 1, connect_timeout = DEFAULT_TIMEOUT, send_timeout = DEFAULT_TIMEOUT,
                        read_timeout = DEFAULT_TIMEOUT }, Socket)
end

-- A timeout read as OpenResty reads it: milliseconds, a number or a numeric string, truncated;
-- anything else (nil, a table: Debian's redis connector passes one) counts as 0, and 0 is the
-- default; a negative value or one past 2^31 - 1 raises.
local function seconds(ms)
  local n = tonumber(ms) or 0
  if n ~= n then n = 0 end
  n = n >= 0 and floor(n) or -floor(-n)
  if n < 0 or n >= 0x80000000 then error("bad timeout value", 3) end
  return n > 0 and n / 1000 or DEFAULT_TIMEOUT
end

-- Seconds (luagw.http's and luagw.socket's unit) as settimeout's milliseconds: a positive value
-- at least 1 ms and at most 2^31 - 1 (24 days); anything else 0, the default.
function M.milliseconds(s)
  if type(s) ~= "number" or not (s > 0) then return 0 end
  return min(max(s * 1000, 1), 0x7fffffff)
end

function Socket:settimeout(ms)
  local s = seconds(ms)
  self.connect_timeout, self.send_timeout, self.read_timeout = s, s, s
end

function Socket:settimeouts(connect_ms, send_ms, read_ms)
  self.connect_timeout, self.send_timeout, self.read_timeout = seconds(connect_ms), seconds(send_ms), seconds(read_ms)
end

-- Forgets the connection (closed by either side, or back in its pool).
local function forget(self)
  self.handle, self.buf, self.pos = nil, "", 1
end

function Socket:close()
  local handle = self.handle
  if not handle then return nil, "closed" end
  forget(self)
  -- Where Lua cannot yield, the request's end closes it.
  if isyieldable() then wait("close", CLOSE, handle) end
  return 1
end

-- connect(host, port [, opts]) or connect("unix:/path" [, opts])
function Socket:connect(host, port, opts)
  if type(port) == "table" then port, opts = nil, port end
  if type(host) ~= "string" then error("bad argument #1 to 'connect' (host expected)", 2) end
  local number = tointeger(port)
  if port ~= nil and not number then error("bad argument #2 to 'connect' (port expected)", 2) end
  if not port and ssub(host, 1, 5) ~= "unix:" then error("bad argument #2 to 'connect' (port expected)", 2) end
  if self.handle then self:close() end
  local key = opts and opts.pool or (number and host .. ":" .. number or host)
  local handle, reused = wait("connect", CONNECT, host, number or 0, self.connect_timeout, key)
  if not handle then return nil, reused end
  self.handle, self.reused, self.key, self.buf, self.pos = handle, reused, key, "", 1
  return 1
end

-- sslhandshake(reused_session, server_name, ssl_verify [, send_status_req]) (SPEC 11): encrypts
-- the connection, within the connect timeout (OpenResty's). `true`, or nil and the error (the
-- connection is then closed). luagw keeps no TLS sessions (swift-nio-ssl has no API for them):
-- `reused_session` is accepted and ignored, and `true` stands for the session; so is
-- `send_status_req` (no OCSP). `ssl_verify` defaults to true (unlike OpenResty's); without a
-- server name there is no SNI and only the certificate's chain is verified. A connection taken
-- from a keep-alive pool is encrypted already: `true` at once.
function Socket:sslhandshake(_, server_name, ssl_verify)
  if not self.handle then return nil, "closed" end
  if server_name ~= nil and type(server_name) ~= "string" then
    error("bad argument #2 to 'sslhandshake' (a server name or nil expected)", 2)
  end
  local ok, err = wait("sslhandshake", HANDSHAKE, self.handle, server_name or "", ssl_verify == false and 0 or 1,
                       self.connect_timeout)
  if not ok then forget(self) end
  return ok, err
end

function Socket:getreusedtimes()
  if not self.handle then return nil, "closed" end
  return self.reused
end

function Socket:send(data)
  if not self.handle then return nil, "closed" end
  data = bytes(data)
  local sent, err = wait("send", SEND, self.handle, data, self.send_timeout)
  if not sent then forget(self) end  -- a failed send closed the connection
  return sent, err
end

-- Waits for more bytes; true, or nil and the error (any but "timeout" releases the connection).
local function fill(self)
  local chunk, err = wait("receive", RECEIVE, self.handle, self.read_timeout)
  if not chunk then
    if err ~= "timeout" then  -- closed, or failed: released, its buffer kept for the partial result
      local handle = self.handle
      self.handle = nil
      wait("receive", CLOSE, handle)
    end
    return nil, err
  end
  local buf, pos = self.buf, self.pos
  self.buf = pos > #buf and chunk or ssub(buf, pos) .. chunk
  self.pos = 1
  return true
end

local function take(self, n)
  local pos = self.pos
  self.pos = pos + n
  return ssub(self.buf, pos, pos + n - 1)
end

-- The rest of the buffer, as the partial result of a failed receive.
local function rest(self)
  return take(self, #self.buf - self.pos + 1)
end

function Socket:receive(pattern)
  if not self.handle then return nil, "closed" end
  pattern = pattern or "*l"
  local count = tointeger(pattern)
  if count then
    if count < 0 then error("bad argument #1 to 'receive' (a byte count of 0 or more expected)", 2) end
    while #self.buf - self.pos + 1 < count do
      local ok, err = fill(self)
      if not ok then return nil, err, rest(self) end
    end
    return take(self, count)
  elseif pattern == "*l" or pattern == "l" then
    while true do
      local buf, pos = self.buf, self.pos
      local i = sfind(buf, "\n", pos, true)
      if i then  -- the line without its "\n" and any "\r" (LuaSocket's "*l")
        self.pos = i + 1
        local last = byte(buf, i - 1) == CR and i - 2 or i - 1
        local line = ssub(buf, pos, last)
        if sfind(line, "\r", 1, true) then line = gsub(line, "\r", "") end
        return line
      end
      local ok, err = fill(self)
      if not ok then return nil, err, rest(self) end
    end
  elseif pattern == "*a" or pattern == "a" then
    while true do
      local ok, err = fill(self)
      if not ok then
        if err == "closed" then return rest(self) end
        return nil, err, rest(self)
      end
    end
  end
  error(format("bad argument #1 to 'receive' (invalid pattern %q)", tostring(pattern)), 2)
end

-- receiveuntil(pattern [, {inclusive = true}]): a reader that returns the data before the
-- next `pattern` (called with a size: at most that many bytes a call, then nil once the
-- pattern is reached).
function Socket:receiveuntil(pattern, opts)
  if type(pattern) ~= "string" or pattern == "" then
    error("bad argument #1 to 'receiveuntil' (a non-empty string expected)", 2)
  end
  local inclusive = opts and opts.inclusive
  local reached = false
  return function(size)
    if not self.handle then return nil, "closed" end
    if size and reached then reached = false; return nil end
    while true do
      local i, j = sfind(self.buf, pattern, self.pos, true)
      if i then
        local before = i - self.pos
        if size and before > size then return take(self, size) end
        local data = take(self, before)
        self.pos = j + 1
        if size then reached = true end
        return inclusive and data .. pattern or data
      end
      if size then
        local safe = #self.buf - self.pos + 1 - (#pattern - 1)
        if safe >= size then return take(self, size) end
      end
      local ok, err = fill(self)
      if not ok then return nil, err, rest(self) end
    end
  end
end

function Socket:setkeepalive(idle_ms, pool_size)
  local handle = self.handle
  if not handle then return nil, "closed" end
  if self.pos <= #self.buf then
    self:close()
    return nil, "unread data in buffer"
  end
  local idle = tointeger(idle_ms) or 0
  local size = tointeger(pool_size) or POOL_SIZE
  forget(self)
  return wait("setkeepalive", KEEPALIVE, handle, self.key, idle > 0 and idle / 1000 or POOL_IDLE, size)
end

return M
