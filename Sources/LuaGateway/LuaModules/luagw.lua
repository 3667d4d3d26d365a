-- The `luagw` module (SPEC 7): `local luagw = require "luagw"`, also `environ.luagw`.
-- Each call that waits suspends only the calling request's coroutine.
local C, need = ...
local wait = need("wait").wait
local tcp = need("tcp").tcp
local SLEEP = C.protocol.SLEEP
local tonumber, error = tonumber, error

local luagw = { version = C.version, now = C.now, socket = { tcp = tcp }, shared = need("shared"),
                http = need("luagw.http") }
local timer = need("timer")
luagw.timer = { at = timer.at, every = timer.every }

-- Suspends the request for `seconds` (fractions allowed; 0 lets the event loop turn once).
function luagw.sleep(seconds)
  local s = tonumber(seconds)
  if not s or s < 0 or s ~= s or s == 1 / 0 then
    error("bad argument #1 to 'luagw.sleep' (a number of seconds, 0 or more, expected)", 2)
  end
  wait("luagw.sleep", SLEEP, s)
end

return luagw
