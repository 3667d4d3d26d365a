-- bench: each request sleeps without blocking its worker: 100 ms, or the seconds of its query
-- string (/sleep?1).
local luagw = require "luagw"

return function(environ, start_response)
  luagw.sleep(tonumber(environ.QUERY_STRING) or 0.1)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return "slept"
end
