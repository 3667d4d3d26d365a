-- bench: a response streamed as 64 chunks of 1 KiB
local chunk = string.rep("s", 1024)
return function(environ, start_response)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  local n = 0
  return function()
    n = n + 1
    if n <= 64 then return chunk end
  end
end
