-- What resty.websocket.server and resty.websocket.client share: lua-resty-websocket's checks of
-- a frame to send and its errors, its close payload, and the send_* methods over a send_frame.
local type, tostring, tointeger, pack = type, tostring, math.tointeger, string.pack

local M = {}

local CLOSE = 8

-- The payload of a frame `self` may send as a string, or nil and lua-resty-websocket's error.
function M.checked(self, fin, opcode, payload)
  if payload == nil then payload = "" elseif type(payload) ~= "string" then payload = tostring(payload) end
  if #payload > self.max_send_len then return nil, "payload too big" end
  if opcode >= CLOSE and #payload > 125 then return nil, "too much payload for control frame" end
  if opcode >= CLOSE and not fin then return nil, "fragmented control frame" end
  return payload
end

-- Sends a frame by `write(self, fin, opcode, payload)` after the checks: bytes, or nil and the
-- error (then `self.fatal`).
function M.send(self, fin, opcode, payload, write)
  local err
  payload, err = M.checked(self, fin, opcode, payload)
  if payload then
    local bytes
    bytes, err = write(self, fin, opcode, payload)
    if bytes then return bytes end
    err = "failed to send frame: " .. tostring(err)
  end
  self.fatal = true
  return nil, err
end

-- A close frame's payload: `code` and `msg` (none without a code), or nil, "bad status code".
function M.close_payload(code, msg)
  if not code then return "" end
  code = tointeger(code)
  if not code or code < 0 or code > 0x7fff then return nil, "bad status code" end
  return pack(">I2", code) .. (msg or "")
end

-- Adds send_frame, send_text, send_binary, send_ping and send_pong to module `methods`.
function M.add_sends(methods, send_frame)
  methods.send_frame = send_frame
  function methods.send_text(self, data) return send_frame(self, true, 1, data) end
  function methods.send_binary(self, data) return send_frame(self, true, 2, data) end
  function methods.send_ping(self, data) return send_frame(self, true, 9, data) end
  function methods.send_pong(self, data) return send_frame(self, true, 10, data) end
end

return M
