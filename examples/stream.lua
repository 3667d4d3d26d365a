-- A streamed response: GET /stream?n=5 sends five lines, one every 200 ms of work.
-- A coroutine.wrap generator yields chunks; the server sends each as it comes
-- (chunked on HTTP/1.1) and stops pulling while the client is slow to read.
return function(environ, start_response)
  local n = tonumber(environ.QUERY_STRING:match("n=(%d+)")) or 5
  start_response("200 OK", { {"Content-Type", "text/plain; charset=utf-8"} })
  return coroutine.wrap(function()
    for i = 1, n do
      coroutine.yield(("line %d of %d\n"):format(i, n))
    end
  end)
end
