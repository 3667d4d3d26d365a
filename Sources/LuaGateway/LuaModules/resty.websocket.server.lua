-- `resty.websocket.server` (SPEC 12): lua-resty-websocket's server API over `luagw.websocket`, so
-- OpenResty WebSocket handlers run unchanged. `require "luagw.ngx"` registers it (and Debian's name
-- `nginx.websocket.server`). OpenResty's `server:new()` takes no request: the environ is the
-- running request's, kept in its record (C.current().environ, set by driver.lua).
-- The server (WebSocket/*.swift) parses, checks and reassembles frames: `recv_frame` returns
-- whole messages, so "continuation" and the "again" error never appear.
local C, need = ...
local websocket = need("luagw.websocket")
local wait = need("wait").wait
local shared = need("resty_websocket")
local SEND = C.protocol.WS_SEND
local type, tostring, setmetatable = type, tostring, setmetatable
local find, match = string.find, string.match

local DEFAULT_MAX_PAYLOAD_LEN = 65535
local CONTINUATION, CLOSE = 0, 8

local M = { _VERSION = "0.13" }
local mt = { __index = M }

-- `wb` or `nil, err` (the handshake's errors are lua-resty-websocket's words).
function M.new(self, opts)
  if self ~= M then opts = self end  -- server.new(opts) as well as server:new(opts)
  opts = opts or {}
  local r = C.current()
  local environ = r.environ
  if type(environ) ~= "table" then return nil, "no request to accept a WebSocket for" end
  local max_payload_len = opts.max_payload_len or DEFAULT_MAX_PAYLOAD_LEN
  local max_recv_len = opts.max_recv_len or max_payload_len
  local timeout = opts.timeout
  -- Upstream echoes the client's whole Sec-WebSocket-Protocol; one protocol is what RFC 6455 allows.
  local offered = environ.HTTP_SEC_WEBSOCKET_PROTOCOL
  local first = type(offered) == "string" and match(offered, "^%s*([^,%s]+)") or nil
  local ws, err = websocket.accept(environ, {
    max_payload = max_recv_len,
    timeout = (type(timeout) == "number" and timeout > 0) and timeout / 1000 or nil,
    protocols = first and { first } or nil,
  })
  if not ws then return nil, err end
  return setmetatable({
    ws = ws,
    max_recv_len = max_recv_len,
    max_send_len = opts.max_send_len or max_payload_len,
    send_masked = opts.send_masked,  -- accepted, ignored: RFC 6455 forbids a server to mask
  }, mt)
end

-- Milliseconds; nil or 0: --socket-timeout.
function M.set_timeout(self, ms)
  if not self.ws then return nil, nil, "not initialized yet" end
  self.ws:settimeout(ms)
end

-- `data, typ, err`: typ "text", "binary", "ping", "pong", or "close" with err the code (nil when the
-- close had none); `nil, nil, err` when it fails (fatal unless a timeout).
function M.recv_frame(self)
  if self.fatal then return nil, nil, "fatal error already happened" end
  if not self.ws then return nil, nil, "not initialized yet" end
  local data, kind, code = self.ws:recv()
  if data == nil then
    local err = (kind == "timeout" or kind == "closed") and "failed to receive the first 2 bytes: " .. kind
      or tostring(kind)
    if not find(err, ": timeout", 1, true) then self.fatal = true end
    return nil, nil, err
  end
  if kind == "close" then
    self.close_received = true
    if code == 1005 then return "", "close", nil end
    return data, "close", code
  end
  return data, kind, nil
end

local function write(self, _, opcode, payload)
  return wait("send_frame", SEND, self.ws.handle, opcode, payload, self.ws.timeout)
end

-- One whole frame (lua-resty-websocket's checks and words); `bytes` or `nil, err` (then fatal).
local function send_frame(self, fin, opcode, payload)
  if self.fatal then return nil, "fatal error already happened" end
  if not self.ws then return nil, "not initialized yet" end
  -- The server frames whole messages: a fragmented send would break the stream.
  if not fin or opcode == CONTINUATION then return nil, "fragmented frames are not supported" end
  return shared.send(self, fin, opcode, payload, write)
end
shared.add_sends(M, send_frame)

function M.send_continue(self, data) return send_frame(self, true, CONTINUATION, data) end

-- A close frame with `code` and `msg` (none without a code).
function M.send_close(self, code, msg)
  local payload, err = shared.close_payload(code, msg)
  if not payload then return nil, err end
  -- The server answered the client's close already (with its code): nothing more may be sent.
  if self.close_received and not self.fatal then return #payload end
  return send_frame(self, true, CLOSE, payload)
end

return M
