-- `luagw.websocket` (SPEC 12): `accept(environ [, opts])` checks a request's WebSocket handshake
-- (RFC 6455 §4.2.1) and has the server answer 101 and carry frames from then on; the object it
-- returns receives and sends whole messages. Frames are parsed, checked, reassembled and framed
-- by the server (WebSocket/*.swift, on SwiftNIO's NIOWebSocket); each call here is one wait.
-- The handshake's error strings are lua-resty-websocket's.
local C, need = ...
local wait = need("wait").wait
local digest = need("digest")
local P = C.protocol
local ACCEPT, RECEIVE, SEND = P.WS_ACCEPT, P.WS_RECEIVE, P.WS_SEND
local type, error, tostring, tointeger, setmetatable, ipairs = type, error, tostring, math.tointeger, setmetatable, ipairs
local format, lower, pack, gmatch = string.format, string.lower, string.pack, string.gmatch

-- RFC 6455 §1.3: what the key is hashed with.
local GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
local DEFAULT_MAX_PAYLOAD, MAX_PAYLOAD_FLOOR, MAX_PAYLOAD_CEILING = 65536, 125, 2 ^ 31
-- Opcodes (RFC 6455 §5.2) and what recv calls them.
local TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10
local KINDS = { [TEXT] = "text", [BINARY] = "binary", [CLOSE] = "close", [PING] = "ping", [PONG] = "pong" }

-- Whether the comma-separated list `value` has `token` (case-insensitive).
local function has_token(value, token)
  if type(value) ~= "string" then return false end
  for element in gmatch(value, "[^,]+") do
    if lower(element:match("^%s*(.-)%s*$")) == token then return true end
  end
  return false
end

-- The first of `wanted` (server preference) that the client offers, or nil.
local function choose_protocol(wanted, offered)
  if type(wanted) ~= "table" or type(offered) ~= "string" then return nil end
  for _, name in ipairs(wanted) do
    for element in gmatch(offered, "[^,]+") do
      if element:match("^%s*(.-)%s*$") == name then return name end
    end
  end
  return nil
end

-- nil when the handshake in `environ` is a valid WebSocket opening, else what is wrong.
local function handshake_error(environ)
  if environ.SERVER_PROTOCOL ~= "HTTP/1.1" then return "bad http version" end
  if environ.REQUEST_METHOD ~= "GET" then return "bad method" end
  if not has_token(environ.HTTP_UPGRADE, "websocket") then
    return format('bad "upgrade" request header: %s', tostring(environ.HTTP_UPGRADE))
  end
  if not has_token(environ.HTTP_CONNECTION, "upgrade") then return 'bad "connection" request header' end
  if environ.HTTP_SEC_WEBSOCKET_VERSION ~= "13" then return 'bad "sec-websocket-version" request header' end
  local key = environ.HTTP_SEC_WEBSOCKET_KEY
  if type(key) ~= "string" or #key ~= 24 or #(digest.decode_base64(key) or "") ~= 16 then
    return 'bad "sec-websocket-key" request header'
  end
  return nil
end

local WebSocket = {}
WebSocket.__index = WebSocket

local M = {}

-- Accepts the request's WebSocket: `ws` or `nil, err` (the application answers, 400 being usual).
function M.accept(environ, opts)
  if type(environ) ~= "table" then error("bad argument #1 to 'accept' (environ expected)", 2) end
  opts = opts or {}
  local r = C.current()
  if not r.start_response then return nil, "luagw.websocket.accept: only the request itself can accept" end
  if r.websocket then return nil, "already accepted" end
  if r.sent or r.code then return nil, "response header already sent" end
  local bad = handshake_error(environ)
  if bad then return nil, bad end
  local max_payload = tointeger(opts.max_payload or DEFAULT_MAX_PAYLOAD)
  if not max_payload then error("bad option 'max_payload' to 'accept' (an integer expected)", 2) end
  if max_payload < MAX_PAYLOAD_FLOOR then max_payload = MAX_PAYLOAD_FLOOR end
  if max_payload > MAX_PAYLOAD_CEILING then max_payload = MAX_PAYLOAD_CEILING end
  local protocol = choose_protocol(opts.protocols, environ.HTTP_SEC_WEBSOCKET_PROTOCOL)
  local value = digest.encode_base64(digest.sha1_bin(environ.HTTP_SEC_WEBSOCKET_KEY .. GUID))
  local handle, err = wait("luagw.websocket.accept", ACCEPT, value, protocol or "", max_payload)
  if not handle then return nil, err end
  r.websocket = handle
  local timeout = opts.timeout
  if timeout ~= nil and (type(timeout) ~= "number" or timeout <= 0) then
    error("bad option 'timeout' to 'accept' (seconds expected)", 2)
  end
  return setmetatable({ handle = handle, timeout = timeout or C.socket_timeout, protocol = protocol }, WebSocket)
end

-- The next message: `data, kind` ("text", "binary", "ping", "pong"); `reason, "close", code`;
-- `nil, "timeout"` (the connection goes on); `nil, err` once it is broken or closed.
function WebSocket:recv()
  local data, kind, code = wait("recv", RECEIVE, self.handle, self.timeout)
  if data == nil then return nil, kind end
  return data, KINDS[kind], code
end

local function payload(data, name)
  local t = type(data)
  if t == "string" then return data end
  if t == "number" or t == "boolean" then return tostring(data) end
  error(format("bad argument #1 to '%s' (string expected, got %s)", name, t), 3)
end

local function send(self, opcode, data, name)
  return wait(name, SEND, self.handle, opcode, data, self.timeout)
end

function WebSocket:send_text(data)
  return send(self, TEXT, payload(data, "send_text"), "send_text")
end

function WebSocket:send_binary(data)
  return send(self, BINARY, payload(data, "send_binary"), "send_binary")
end

local function control(self, opcode, data, name)
  data = data == nil and "" or payload(data, name)
  if #data > 125 then error(format("bad argument #1 to '%s' (at most 125 bytes)", name), 3) end
  return send(self, opcode, data, name)
end

function WebSocket:ping(data)
  return control(self, PING, data, "ping")
end

function WebSocket:pong(data)
  return control(self, PONG, data, "pong")
end

-- Close codes an endpoint may send (RFC 6455 §7.4): 1000-1003, 1007-1014, 3000-4999.
local function sendable(code)
  return (code >= 1000 and code <= 1003) or (code >= 1007 and code <= 1014) or (code >= 3000 and code <= 4999)
end

-- Starts the close handshake with `code` (1000 unless given) and `reason`.
function WebSocket:close(code, reason)
  code = code == nil and 1000 or tointeger(code)
  if not code or not sendable(code) then
    error(format("bad argument #1 to 'close' (a close code 1000-1003, 1007-1014 or 3000-4999 expected, got %s)",
      tostring(code)), 2)
  end
  reason = reason == nil and "" or payload(reason, "close")
  if #reason > 123 then error("bad argument #2 to 'close' (at most 123 bytes)", 2) end
  return send(self, CLOSE, pack(">I2", code) .. reason, "close")
end

-- How long recv and the sends wait, in milliseconds as OpenResty's; nil or 0: --socket-timeout.
function WebSocket:settimeout(ms)
  if ms ~= nil and (type(ms) ~= "number" or ms < 0) then
    error(format("bad argument to 'settimeout' (milliseconds expected, got %s)", tostring(ms)), 2)
  end
  self.timeout = (ms and ms > 0) and ms / 1000 or C.socket_timeout
end

return M
