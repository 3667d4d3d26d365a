-- `resty.websocket.client` (SPEC 12): lua-resty-websocket's client API, so OpenResty code that opens
-- a WebSocket runs unchanged. `require "luagw.ngx"` registers it (and Debian's name
-- `nginx.websocket.client`). The handshake and the frames (RFC 6455 §4.1, §5) go over a cosocket
-- (tcp.lua: luagw.socket.tcp, TLS by its sslhandshake for wss://); frames are built, masked and
-- parsed here, as upstream's protocol module does, with string.pack/unpack and integer XOR.
-- Unlike the server side, frames are returned as they come: a fragment has err "again".
local C, need = ...
local tcp = need("tcp").tcp
local digest = need("digest")
local shared = need("resty_websocket")
local type, tostring, tonumber, setmetatable, ipairs = type, tostring, tonumber, setmetatable, ipairs
local random = math.random
local byte, char, sub, find, lower, match = string.byte, string.char, string.sub, string.find, string.lower, string.match
local pack, unpack, concat = string.pack, string.unpack, table.concat

local GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
local DEFAULT_MAX_PAYLOAD_LEN = 65536
local MAX_HEADER_LEN = 16384
local CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
local TYPES = { [CONTINUATION] = "continuation", [TEXT] = "text", [BINARY] = "binary", [CLOSE] = "close",
  [PING] = "ping", [PONG] = "pong" }

-- `payload` XORed with the 4-byte `key` (RFC 6455 §5.3): 16 bytes a step, then byte by byte.
local function masked(payload, key)
  local k = unpack(">I4", key)
  local n = #payload
  local parts, count = {}, 0
  local whole = n - n % 16
  for i = 1, whole, 16 do
    local a, b, c, d = unpack(">I4I4I4I4", payload, i)
    count = count + 1
    parts[count] = pack(">I4I4I4I4", a ~ k, b ~ k, c ~ k, d ~ k)
  end
  for i = whole + 1, n do
    count = count + 1
    parts[count] = char(byte(payload, i) ~ byte(key, (i - 1) % 4 + 1))
  end
  return concat(parts)
end

local M = { _VERSION = "0.13" }
local mt = { __index = M }

-- `wb` or `nil, err`. Options: timeout (ms), max_payload_len, max_recv_len, max_send_len, send_unmasked.
function M.new(self, opts)
  if self ~= M then opts = self end  -- client.new(opts) as well as client:new(opts)
  opts = opts or {}
  local sock = tcp()
  if opts.timeout then sock:settimeout(opts.timeout) end
  local max_payload_len = opts.max_payload_len or DEFAULT_MAX_PAYLOAD_LEN
  return setmetatable({
    sock = sock,
    max_recv_len = opts.max_recv_len or max_payload_len,
    max_send_len = opts.max_send_len or max_payload_len,
    send_unmasked = opts.send_unmasked,
  }, mt)
end

-- The handshake request's optional header lines, or nil and the error.
local function extra_headers(opts)
  local lines = {}
  local protocols = opts.protocols
  if type(protocols) == "table" then protocols = concat(protocols, ",") end
  if protocols then lines[#lines + 1] = "Sec-WebSocket-Protocol: " .. protocols end
  if opts.origin then lines[#lines + 1] = "Origin: " .. opts.origin end
  if opts.headers ~= nil then
    if type(opts.headers) ~= "table" then return nil, "custom headers must be a table" end
    for _, line in ipairs(opts.headers) do lines[#lines + 1] = line end
  end
  lines[#lines + 1] = ""
  return concat(lines, "\r\n")
end

-- The value of header `name` (lower case) in the response head `header`, or nil.
local function header_value(header, name)
  local i, j = find(lower(header), "\r\n" .. name .. ":%s*")
  if not i then return nil end
  return match(header, "^([^\r]-)%s*\r", j + 1) or match(header, "^(.-)%s*$", j + 1)
end

-- `1, nil, header` (the response's status line and headers) or `nil, err [, header]`.
function M.connect(self, uri, opts)
  local sock = self.sock
  if not sock then return nil, "not initialized" end
  opts = opts or {}
  local scheme, host, port, path = match(uri, "^(wss?)://([^:/]+):?(%d*)(.*)$")
  if not scheme then return nil, "bad websocket uri" end
  local ssl = scheme == "wss"
  port = tonumber(port) or (ssl and 443 or 80)
  if path == "" then path = "/" end
  if opts.server_name ~= nil and type(opts.server_name) ~= "string" then
    return nil, "SSL server_name must be a string"
  end
  if opts.host ~= nil and type(opts.host) ~= "string" then return nil, "custom host header must be a string" end
  if opts.key ~= nil and type(opts.key) ~= "string" then return nil, "custom Sec-WebSocket-Key must be a string" end
  if opts.client_cert or opts.client_priv_key then return nil, "client certificates are not supported" end
  local headers, bad = extra_headers(opts)
  if not headers then return nil, bad end

  local ok, err = sock:connect(host, port, opts.pool and { pool = opts.pool } or nil)
  if not ok then return nil, "failed to connect: " .. tostring(err) end
  local reused
  reused, err = sock:getreusedtimes()
  if not reused then return nil, "failed to get reused times: " .. tostring(err) end
  if reused > 0 then return 1, nil, "connection reused" end
  if ssl then
    ok, err = sock:sslhandshake(nil, opts.server_name or opts.host or host, opts.ssl_verify)
    if not ok then return nil, "ssl handshake failed: " .. tostring(err) end
  end

  local key = opts.key or digest.encode_base64(pack(">I4I4I4I4", random(0, 0xffffffff), random(0, 0xffffffff),
    random(0, 0xffffffff), random(0, 0xffffffff)))
  local request = "GET " .. path .. " HTTP/1.1\r\nUpgrade: websocket\r\nHost: " .. (opts.host or host .. ":" .. port)
    .. "\r\nSec-WebSocket-Key: " .. key .. "\r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n"
    .. headers .. "\r\n"
  ok, err = sock:send(request)
  if not ok then return nil, "failed to send the handshake request: " .. tostring(err) end

  local reader = sock:receiveuntil("\r\n\r\n")
  local parts, length = {}, 0
  repeat  -- the head, at most MAX_HEADER_LEN bytes
    local part
    part, err = reader(MAX_HEADER_LEN)
    if part then
      parts[#parts + 1] = part
      length = length + #part
      if length > MAX_HEADER_LEN then return nil, "failed to receive response header: too long" end
    elseif err then
      return nil, "failed to receive response header: " .. tostring(err)
    end
  until not part
  local header = concat(parts)
  if not find(header, "^HTTP/1%.1 101 ") then return nil, "bad HTTP response status line: " .. header, header end
  if header_value(header, "sec%-websocket%-accept") ~= digest.encode_base64(digest.sha1_bin(key .. GUID)) then
    return nil, 'bad "sec-websocket-accept" response header', header
  end
  return 1, nil, header
end

function M.set_timeout(self, ms)
  local sock = self.sock
  if not sock then return nil, nil, "not initialized yet" end
  return sock:settimeout(ms)
end

-- The rest of one frame after its first two bytes `fst`, `snd`: `data, typ, err`.
local function read_frame(self, fst, snd)
  local sock = self.sock
  local fin = fst & 0x80 ~= 0
  if fst & 0x70 ~= 0 then return nil, nil, "bad RSV1, RSV2, or RSV3 bits" end
  local opcode = fst & 0x0f
  if opcode >= 3 and opcode <= 7 then return nil, nil, "reserved non-control frames" end
  if opcode >= 0xb then return nil, nil, "reserved control frames" end
  local mask = snd & 0x80 ~= 0
  local length = snd & 0x7f
  if length >= 126 then
    local size = length == 126 and 2 or 8
    local data, err = sock:receive(size)
    if not data then
      return nil, nil, "failed to receive the " .. size .. " byte payload length: " .. tostring(err)
    end
    length = unpack(size == 2 and ">I2" or ">i8", data)
    if length < 0 then return nil, nil, "payload len too large" end
  end
  if opcode >= CLOSE then
    if length > 125 then return nil, nil, "too long payload for control frame" end
    if not fin then return nil, nil, "fragmented control frame" end
  end
  if length > self.max_recv_len then return nil, nil, "exceeding max payload len" end
  local data = ""
  local total = length + (mask and 4 or 0)
  if total > 0 then
    local err
    data, err = sock:receive(total)
    if not data then return nil, nil, "failed to read masking-len and payload: " .. tostring(err) end
    if mask then data = masked(sub(data, 5), sub(data, 1, 4)) end
  end
  if opcode == CLOSE then
    if length == 0 then return "", "close", nil end
    if length < 2 then return nil, nil, "close frame with a body must carry a 2-byte status code" end
    return sub(data, 3), "close", unpack(">I2", data)
  end
  return data, TYPES[opcode], not fin and "again" or nil
end

-- `data, typ, err`: typ "text", "binary", "continuation", "ping", "pong", or "close" with err the
-- code; err "again" for a fragment that is not the last; `nil, nil, err` on failure (fatal unless
-- a timeout).
function M.recv_frame(self)
  if self.fatal then return nil, nil, "fatal error already happened" end
  local sock = self.sock
  if not sock then return nil, nil, "not initialized yet" end
  local data, typ, err
  local head
  head, err = sock:receive(2)
  if not head then
    err = "failed to receive the first 2 bytes: " .. tostring(err)
  else
    data, typ, err = read_frame(self, byte(head, 1, 2))
  end
  if not data and not find(err, ": timeout", 1, true) then self.fatal = true end
  return data, typ, err
end

-- One frame as lua-resty-websocket builds it, masked unless send_unmasked.
local function build_frame(fin, opcode, payload, masking)
  local mask_bit = masking and 0x80 or 0
  local length = #payload
  local head
  if length <= 125 then
    head = char((fin and 0x80 or 0) | opcode, mask_bit | length)
  elseif length <= 0xffff then
    head = char((fin and 0x80 or 0) | opcode, mask_bit | 126) .. pack(">I2", length)
  else
    head = char((fin and 0x80 or 0) | opcode, mask_bit | 127) .. pack(">I8", length)
  end
  if not masking then return head .. payload end
  local key = pack(">I4", random(0, 0xffffffff))
  return head .. key .. masked(payload, key)
end

local function write(self, fin, opcode, payload)
  return self.sock:send(build_frame(fin, opcode, payload, not self.send_unmasked))
end

local function send_frame(self, fin, opcode, payload)
  if self.fatal then return nil, "fatal error already happened" end
  if self.closed then return nil, "already closed" end
  if not self.sock then return nil, "not initialized yet" end
  return shared.send(self, fin, opcode, payload, write)
end
shared.add_sends(M, send_frame)

-- A close frame with `code` and `msg` (none without a code); nothing can be sent after it.
function M.send_close(self, code, msg)
  local payload, err = shared.close_payload(code, msg)
  if not payload then return nil, err end
  local bytes
  bytes, err = send_frame(self, true, CLOSE, payload)
  self.closed = true
  return bytes, err
end

-- Sends a close frame unless one was sent, and closes the connection.
function M.close(self)
  if self.fatal then return nil, "fatal error already happened" end
  local sock = self.sock
  if not sock then return nil, "not initialized" end
  if not self.closed then
    local bytes, err = M.send_close(self)
    if not bytes then return nil, "failed to send close frame: " .. err end
  end
  return sock:close()
end

-- The connection into the cosocket pool (as the socket's setkeepalive).
function M.set_keepalive(self, ...)
  local sock = self.sock
  if not sock then return nil, "not initialized" end
  return sock:setkeepalive(...)
end

return M
