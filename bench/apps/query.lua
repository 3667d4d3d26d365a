-- bench: reads the query string and two headers
return function(environ, start_response)
  local name = environ.QUERY_STRING:match("name=([^&]*)") or ""
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return name .. " " .. (environ.HTTP_X_ONE or "") .. " " .. (environ.HTTP_X_TWO or "")
end
