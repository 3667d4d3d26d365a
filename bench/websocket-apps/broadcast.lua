-- bench/websocket: a text message from any connection goes to every connection. The WebSockets
-- are kept in a table of the state (the bench runs one worker and one state); any coroutine of
-- the worker may send on any of them.
local serve = require "_serve"
local open = {}

return serve(function(_, data)
  for ws in pairs(open) do ws:send_text(data) end
end, {
  timeout_ms = 600000,
  opened = function(ws) open[ws] = true end,
  closed = function(ws) open[ws] = nil end,
})
