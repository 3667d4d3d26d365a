-- bench: hello-world
return function(environ, start_response)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return "Hello, world!\n"
end
