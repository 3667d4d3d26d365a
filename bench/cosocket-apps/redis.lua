-- bench: one GET on a local redis-server per request, through OpenResty's own Redis client
-- (Debian's lua-nginx-redis, the same file nginx + Lua runs), with a keep-alive pool.
package.path = os.getenv("LUAGW_PEER_LUA") .. "/?.lua;" .. package.path
require "luagw.ngx"
local redis = require "nginx.redis"
local port = tonumber(os.getenv("BENCH_REDIS_PORT"))

return function(environ, start_response)
  local red = redis:new()
  red:set_timeout(5000)
  assert(red:connect("127.0.0.1", port))
  local value = red:get("bench")
  red:set_keepalive(60000, 128)
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return value
end
