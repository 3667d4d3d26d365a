-- bench: a 64 KiB body
local body = string.rep("x", 65536)
return function(environ, start_response)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return body
end
