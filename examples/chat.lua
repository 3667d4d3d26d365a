-- GET /chat.html: a chat room. Each browser opens a WebSocket on /chat?name=NAME; a line it
-- sends goes to everyone in the room, on every worker and state of the server.
--
-- The room is a log in luagw.shared.chat (shared by all workers, kept across reloads): "last" is
-- the number of the newest line and "m:<n>" holds line n for an hour. Each connection is one
-- loop in its own request: ws:recv() waits at most POLL_MS for the browser; whether a line came
-- or the wait timed out, the loop then sends the lines of the log it has not sent yet. So a
-- line reaches the others within POLL_MS, with no light thread and no second coroutine sharing
-- the WebSocket: the connection's single loop both reads and writes it. (POLL_MS is also how long
-- a send may wait: a browser that leaves 64 KiB of lines unread is dropped.) The polls' Lua time
-- counts towards --run-time until the browser next sends a line (microseconds a poll: with the
-- default 30 s, a browser silent for days is cut with 1011; its page then shows "disconnected",
-- and a reload joins again).
local websocket = require "luagw.websocket"
local request = require "luagw.web.request"
local luagw = require "luagw"

local room = luagw.shared.chat
local POLL_MS = 100         -- how late a line may reach the others, and how often each loop looks
local HISTORY = 20          -- lines a newcomer sees from before it joined
local KEEP = 3600           -- seconds a line stays in the log
local MAX_LINE = 2000       -- bytes a browser may send in one message

-- Appends `line` to the log.
local function post(line)
  local n = room:incr("last", 1, 0)
  room:set("m:" .. n, line, KEEP)
end

-- A reader that sends the log's new lines to `ws`, starting after line `seen`.
local function reader(ws, seen)
  local missing  -- a line counted in "last" but not set yet (its writer is between incr and set)
  return function()
    for n = seen + 1, room:get("last") or 0 do
      local line = room:get("m:" .. n)
      if line == nil and missing ~= n then  -- give its writer until the next look
        missing = n
        return true
      end
      if line ~= nil then
        local sent, err = ws:send_text(line)
        if not sent then return nil, err end
      end
      seen = n
    end
    return true
  end
end

return function(environ, start_response)
  local name = (request(environ).query.name or ""):gsub("[%c<>&]", ""):sub(1, 32)
  if name == "" then name = "anonymous" end
  local ws, err = websocket.accept(environ, { max_payload = MAX_LINE })
  if not ws then
    start_response("400 Bad Request", { { "Content-Type", "text/plain; charset=utf-8" } })
    return { "a WebSocket is expected here (open /chat.html): ", err, "\n" }
  end
  ws:settimeout(POLL_MS)
  local deliver = reader(ws, math.max(0, (room:get("last") or 0) - HISTORY))
  post(name .. " joined")
  while deliver() do
    local data, kind = ws:recv()
    if kind == "text" then
      post(name .. ": " .. data)
    elseif data == nil and kind ~= "timeout" or kind == "close" then
      break  -- the browser left ("close"), or the connection failed or closed
    end
  end
  post(name .. " left")
end
