-- resty.websocket.client's frames, over a fake cosocket that loops what is sent back to be
-- received: masking (RFC 6455 §5.3) and the three length forms round-trip, and the frame
-- rules give lua-resty-websocket's errors. The handshake runs against a real server in
-- RestyWebSocketTests.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"

-- A cosocket whose receive(n) takes from what send wrote (or from `wire`, when set).
local function loopback()
  local sock = { buf = "" }
  function sock.settimeout() end
  function sock.send(_, data) sock.buf = sock.buf .. data; return #data end
  function sock.receive(_, n)
    if #sock.buf < n then return nil, "timeout" end
    local data = sock.buf:sub(1, n)
    sock.buf = sock.buf:sub(n + 1)
    return data
  end
  return sock
end

local chunk = assert(loadfile(arg[0]:match("^(.*)/[^/]*$") .. "/../../Sources/LuaGateway/LuaModules/resty.websocket.client.lua"))
local client = chunk(h.C, function(name)
  if name == "tcp" then return { tcp = loopback } end
  return h.load(name)
end)

local wb = client:new{ max_payload_len = 100000 }
for _, size in ipairs { 0, 1, 5, 125, 126, 65535, 65536, 70001 } do
  local payload = string.rep("ab\0\255c", size // 5 + 1):sub(1, size)
  local bytes = wb:send_binary(payload)
  local header = size <= 125 and 2 or size <= 65535 and 4 or 10
  h.equal(bytes, header + 4 + size, "a masked frame's bytes, payload " .. size)
  h.check(size < 8 or not wb.sock.buf:find(payload:sub(1, 8), 1, true), "the payload is masked, size " .. size)
  local data, typ, err = wb:recv_frame()
  h.equal(data, payload, "masked and unmasked again, payload " .. size)
  h.equal(typ, "binary", "its type")
  h.equal(err, nil, "no error")
end

wb:send_frame(false, 1, "part")
h.equal(select(3, wb:recv_frame()), "again", "a fragment that is not the last")
wb:send_frame(true, 0, "rest")
h.equal(select(2, wb:recv_frame()), "continuation", "the last fragment")
wb:send_close(4000, "bye")
local reason, typ, code = wb:recv_frame()
h.equal(reason .. " " .. typ .. " " .. code, "bye close 4000", "a close with its code")
h.equal(select(2, wb:send_text("x")), "already closed", "nothing after send_close")

wb = client:new{ max_payload_len = 10 }
h.equal(select(2, wb:send_text(string.rep("x", 11))), "payload too big", "max_send_len")
h.equal(wb.fatal, true, "a failed send is fatal")
h.equal(select(2, wb:send_text("x")), "fatal error already happened", "and stays")

wb = client:new{ max_payload_len = 10 }
h.equal(select(2, wb:send_ping(string.rep("x", 126))), "payload too big", "max_send_len first")
wb = client:new{}
h.equal(select(2, wb:send_ping(string.rep("x", 126))), "too much payload for control frame", "a long ping")
wb = client:new{}
h.equal(select(3, wb:recv_frame()), "failed to receive the first 2 bytes: timeout", "a timeout")
h.equal(wb.fatal, nil, "is not fatal")
wb.sock.buf = "\xC1\x00"
h.equal(select(3, wb:recv_frame()), "bad RSV1, RSV2, or RSV3 bits", "a reserved bit")
h.equal(wb.fatal, true, "is fatal")
wb = client:new{ max_payload_len = 10 }
wb.sock.buf = "\x82\x0B"
h.equal(select(3, wb:recv_frame()), "exceeding max payload len", "max_recv_len")
wb = client:new{}
wb.sock.buf = "\x88\x01x"
h.equal(select(3, wb:recv_frame()), "close frame with a body must carry a 2-byte status code", "a one-byte close")
wb = client:new{}
wb.sock.buf = "\x88\x00"
local data, kind, status = wb:recv_frame()
h.equal(tostring(data) .. " " .. tostring(kind) .. " " .. tostring(status), " close nil", "an empty close")
h.equal(select(2, client:new{}:connect("http://x/")), "bad websocket uri", "ws:// or wss:// only")

h.finish("resty_websocket_client_test")
