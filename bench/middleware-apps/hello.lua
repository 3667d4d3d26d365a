-- bench/middleware's anchor: hello, as bench/apps/hello.lua.
return function(environ, start_response)
  start_response("200 OK", { { "Content-Type", "text/plain" }, { "Content-Length", "13" } })
  return "Hello, world!"
end
