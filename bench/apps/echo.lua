-- bench: a POSTed body echoed back
return function(environ, start_response)
  local body = environ["wsgi.input"]:read()
  start_response("200 OK", { {"Content-Type", "application/octet-stream"} })
  return body
end
