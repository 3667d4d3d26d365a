-- The smallest luagw application: GET /hello answers "Hello, world!".
-- A script returns a function; luagw calls it once per request with the
-- request's environ and start_response (the same protocol as Python's WSGI).
return function(environ, start_response)
  start_response("200 OK", { {"Content-Type", "text/plain; charset=utf-8"} })
  return { "Hello, world!\n" }
end
