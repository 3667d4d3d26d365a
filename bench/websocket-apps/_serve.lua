-- The loop of bench/websocket's applications: accept the WebSocket (400 for a plain request), then
-- hand each text or binary message to on_message(ws, data, kind) until the client closes or goes.
-- opts: timeout_ms (recv's wait), opened(ws) and closed(ws).
local websocket = require "luagw.websocket"

return function(on_message, opts)
  opts = opts or {}
  return function(environ, start_response)
    local ws, err = websocket.accept(environ)
    if not ws then
      start_response(400, {})
      return { err }
    end
    if opts.timeout_ms then ws:settimeout(opts.timeout_ms) end
    if opts.opened then opts.opened(ws) end
    while true do
      local data, kind = ws:recv()
      if kind == "text" or kind == "binary" then on_message(ws, data, kind)
      elseif kind == "close" or (data == nil and kind ~= "timeout") then break end
    end
    if opts.closed then opts.closed(ws) end
  end
end
