-- The `luagw` module (SPEC 7): `local luagw = require "luagw"`, also `environ.luagw`.
-- Each call that waits suspends only the calling request's coroutine.
-- Its parts are loaded when first used: a state that never opens a socket holds none of that code.
local C, need = ...
local wait = need("wait").wait
local SLEEP = C.protocol.SLEEP
local tonumber, error, rawset, setmetatable = tonumber, error, rawset, setmetatable

local parts = {
  socket = function() return { tcp = need("tcp").tcp, udp = need("udp").udp } end,
  http = function() return need("luagw.http") end,
  shared = function() return need("shared") end,
  thread = function()
    local thread = need("thread")
    return { spawn = thread.spawn, wait = thread.wait, kill = thread.kill }
  end,
  timer = function()
    local timer = need("timer")
    return { at = timer.at, every = timer.every }
  end,
  sqlite = function() return need("luagw.sqlite") end,
  postgres = function() return need("luagw.postgres") end,
  websocket = function() return need("luagw.websocket") end,
}

local luagw = setmetatable({
  version = C.version,
  now = C.now,
  -- What stands for SQL's NULL and a null reply (SPEC 7, 13); the same value as ngx.null.
  null = setmetatable({}, { __name = "luagw.null", __tostring = function() return "null" end }),
}, {
  __index = function(self, name)
    local make = parts[name]
    if not make then return nil end
    local part = make()
    rawset(self, name, part)
    return part
  end,
})

-- Suspends the request for `seconds` (fractions allowed; 0 lets the event loop turn once).
function luagw.sleep(seconds)
  local s = tonumber(seconds)
  if not s or s < 0 or s ~= s or s == 1 / 0 then
    error("bad argument #1 to 'luagw.sleep' (a number of seconds, 0 or more, expected)", 2)
  end
  wait("luagw.sleep", SLEEP, s)
end

return luagw
