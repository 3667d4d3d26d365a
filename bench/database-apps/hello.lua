-- bench: the baseline a database read is compared with.
return function(environ, start_response)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return "Hello, world!\n"
end
