-- bench/websocket: each message back as it came.
local serve = require "_serve"

return serve(function(ws, data, kind)
  if kind == "text" then ws:send_text(data) else ws:send_binary(data) end
end)
