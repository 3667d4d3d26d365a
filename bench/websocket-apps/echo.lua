-- bench/websocket: each message back as it came.
local websocket = require "luagw.websocket"

return function(environ, start_response)
  local ws, err = websocket.accept(environ)
  if not ws then
    start_response(400, {})
    return { err }
  end
  while true do
    local data, kind = ws:recv()
    if kind == "text" then ws:send_text(data)
    elseif kind == "binary" then ws:send_binary(data)
    elseif kind == "close" or (data == nil and kind ~= "timeout") then return end
  end
end
