-- `require "luagw.ngx"` (SPEC 7): sets the global `ngx` (in _G, where libraries written for
-- OpenResty look for it) and returns it: enough of OpenResty's API that its pure-Lua client
-- libraries (lua-resty-redis, lua-resty-memcached: Debian's lua-nginx-redis and
-- lua-nginx-memcached) run unchanged. Those libraries were written for LuaJIT (Lua 5.1):
-- `unpack` is set in _G too when Lua 5.4 lacks it, and LuaJIT's `table.new` and `table.clear`
-- can be required.
local C, need = ...
local luagw = need("luagw")
local errors = need("errors")
local tostring, select, ipairs, pairs, next = tostring, select, ipairs, pairs, next
local floor, concat = math.floor, table.concat

local ngx = {
  socket = { tcp = luagw.socket.tcp, udp = luagw.socket.udp },
  sleep = luagw.sleep,
  shared = luagw.shared,
  timer = luagw.timer,
  re = need("luagw.ngx.re"),
  thread = luagw.thread,
  now = luagw.now,
  -- ngx.null: the value that stands for a null reply (a light userdata in OpenResty), luagw.null.
  null = luagw.null,
  OK = 0, ERROR = -1, AGAIN = -2, DONE = -4, DECLINED = -5,
  STDERR = 0, EMERG = 1, ALERT = 2, CRIT = 3, ERR = 4, WARN = 5, NOTICE = 6, INFO = 7, DEBUG = 8,
}
-- Digests, base64, URI escaping, quote_sql_str, encode_args/decode_args, ngx.config.
for name, value in pairs(need("luagw.ngx.codec")) do ngx[name] = value end

function ngx.time()
  return floor(luagw.now())
end

local LEVELS = { [0] = "stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug" }

-- ngx.log(level, ...): a line of the request's error log (wsgi.errors), tagged with its level.
function ngx.log(level, ...)
  local parts = { "[", LEVELS[level] or tostring(level), "] " }
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  errors.current():write(concat(parts) .. "\n")
end

-- lua-resty-websocket's modules, luagw's own (resty.websocket.server, resty.websocket.client), also
-- under the names Debian's lua-nginx-websocket gives them (nginx.websocket.*).
for _, side in ipairs({ "server", "client" }) do
  local name = "resty.websocket." .. side
  package.preload[name] = package.preload[name] or function() return need(name) end
  package.preload["nginx.websocket." .. side] = package.preload["nginx.websocket." .. side] or package.preload[name]
end

-- LuaJIT's BitOp, which OpenResty libraries `require "bit"` for (lua-resty-dns).
package.preload.bit = package.preload.bit or function() return need("bit") end

-- The request API, ngx.say and the rest of the output, the ngx.HTTP_* constants, and `app`.
need("luagw.ngx.app").install(ngx)

_G.ngx = ngx
if _G.unpack == nil then _G.unpack = table.unpack end
-- LuaJIT's table.new (preallocation: here an empty table) and table.clear.
local function clear(t) for k in next, t do t[k] = nil end end
package.preload["table.new"] = package.preload["table.new"] or function() return function() return {} end end
package.preload["table.clear"] = package.preload["table.clear"] or function() return clear end
return ngx
