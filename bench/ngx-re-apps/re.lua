-- bench/ngx-re: N calls (the query string, 200000 when none) of ngx.re.match with "jo" on a
-- 1 KiB subject whose match is at its end; answers the calls a second (CPU time). bench/peers/
-- nginx-ngx-re.conf runs the same loop under nginx + Lua.
local ngx = require "luagw.ngx"

return function(environ, start_response)
  local n = tonumber(environ.QUERY_STRING) or 200000
  local subject = string.rep("abcdefghij", 101):sub(1, 1008) .. "hello, 1234 end."
  local match, m = ngx.re.match, nil
  local started = os.clock()
  for _ = 1, n do m = match(subject, "hello, ([0-9]+)", "jo") end
  local rate = n / (os.clock() - started)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return string.format("%.0f %s", rate, m[1])
end
