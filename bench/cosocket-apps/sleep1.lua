-- bench: each request sleeps one second without blocking its worker (10,000 connections at once).
local luagw = require "luagw"

return function(environ, start_response)
  luagw.sleep(1)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return "slept"
end
