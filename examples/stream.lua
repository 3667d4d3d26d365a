-- A streamed response: GET /stream?n=10 sends ten lines, one every 200 ms.
-- A coroutine.wrap generator yields chunks; the server sends each as it comes (chunked on
-- HTTP/1.1) and stops pulling while the client is slow to read. luagw.sleep waits without
-- blocking: the worker serves other requests meanwhile. In a browser the lines appear one by
-- one (X-Content-Type-Options: nosniff lets it show text/plain before it has 512 bytes).
local luagw = require "luagw"

return function(environ, start_response)
  local n = math.min(tonumber(environ.QUERY_STRING:match("n=(%d+)")) or 10, 100)
  start_response("200 OK", {
    {"Content-Type", "text/plain; charset=utf-8"},
    {"X-Content-Type-Options", "nosniff"},
    {"Cache-Control", "no-store"},
  })
  return coroutine.wrap(function()
    for i = 1, n do
      if i > 1 then luagw.sleep(0.2) end
      coroutine.yield(("line %d of %d, at %.1f s\n"):format(i, n, (i - 1) * 0.2))
    end
  end)
end
