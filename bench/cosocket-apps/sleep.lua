-- bench: each request sleeps 100 ms without blocking its worker.
local luagw = require "luagw"

return function(environ, start_response)
  luagw.sleep(0.1)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return "slept"
end
