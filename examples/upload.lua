-- An upload that counts bytes: curl -T bigfile http://127.0.0.1:8080/upload
-- It reads 64 KiB at a time, so a 1 GiB upload needs no more memory than one block:
-- while the script is not reading, the server stops reading the socket.
return function(environ, start_response)
  local input, total = environ["wsgi.input"], 0
  while true do
    local block = input:read(65536)
    if not block then break end                  -- nil: the end of the body
    total = total + #block
  end
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return ("received %d bytes\n"):format(total)
end
