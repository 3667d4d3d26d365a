-- bench/websocket: a WebSocket that waits, for what an idle one costs.
local websocket = require "luagw.websocket"

return function(environ, start_response)
  local ws, err = websocket.accept(environ)
  if not ws then
    start_response(400, {})
    return { err }
  end
  ws:settimeout(600000)
  while true do
    local data, kind = ws:recv()
    if kind == "close" or (data == nil and kind ~= "timeout") then return end
  end
end
