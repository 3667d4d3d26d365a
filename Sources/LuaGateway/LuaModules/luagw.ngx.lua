-- `require "luagw.ngx"` (SPEC 7): sets the global `ngx` (in _G, where libraries written for
-- OpenResty look for it) and returns it: enough of OpenResty's API that its pure-Lua client
-- libraries (lua-resty-redis, lua-resty-memcached: Debian's lua-nginx-redis and
-- lua-nginx-memcached) run unchanged. Those libraries were written for LuaJIT (Lua 5.1):
-- `unpack` is set in _G too when Lua 5.4 lacks it.
local C, need = ...
local luagw = need("luagw")
local errors = need("errors")
local digest = need("digest")
local tostring, tonumber, select, ipairs = tostring, tonumber, select, ipairs
local floor, concat, format = math.floor, table.concat, string.format
local gsub, byte, char = string.gsub, string.byte, string.char

local ngx = {
  socket = { tcp = luagw.socket.tcp },
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

ngx.md5, ngx.md5_bin = digest.md5, digest.md5_bin

-- CRC-32 of a short string (OpenResty's crc32_short and crc32_long give the same value).
function ngx.crc32_short(s)
  return digest.crc32(tostring(s))
end
ngx.crc32_long = ngx.crc32_short

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

-- As nginx escapes a URI component: everything but unreserved characters as %XX.
function ngx.escape_uri(s)
  return (gsub(tostring(s), "[^%w%-%._~]", function(c) return format("%%%02X", byte(c)) end))
end

function ngx.unescape_uri(s)
  return (gsub(gsub(tostring(s), "%+", " "), "%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

function ngx.encode_base64(s, no_padding)
  return digest.encode_base64(tostring(s), no_padding)
end

-- nil when `s` is not base64.
ngx.decode_base64 = digest.decode_base64

-- lua-resty-websocket's modules, luagw's own (resty.websocket.server, resty.websocket.client), also
-- under the names Debian's lua-nginx-websocket gives them (nginx.websocket.*).
for _, side in ipairs({ "server", "client" }) do
  local name = "resty.websocket." .. side
  package.preload[name] = package.preload[name] or function() return need(name) end
  package.preload["nginx.websocket." .. side] = package.preload["nginx.websocket." .. side] or package.preload[name]
end

-- The request API, ngx.say and the rest of the output, the ngx.HTTP_* constants, and `app`.
need("luagw.ngx.app").install(ngx)

_G.ngx = ngx
if _G.unpack == nil then _G.unpack = table.unpack end
return ngx
