-- bench/websocket: a text message from any connection goes to every connection. The WebSockets
-- are kept in a table of the state (the bench runs one worker and one state); any coroutine of
-- the worker may send on any of them.
local websocket = require "luagw.websocket"
local open = {}

return function(environ, start_response)
  local ws, err = websocket.accept(environ)
  if not ws then
    start_response(400, {})
    return { err }
  end
  ws:settimeout(600000)
  open[ws] = true
  while true do
    local data, kind = ws:recv()
    if kind == "text" then
      for other in pairs(open) do other:send_text(data) end
    elseif kind == "close" or (data == nil and kind ~= "timeout") then break end
  end
  open[ws] = nil
end
