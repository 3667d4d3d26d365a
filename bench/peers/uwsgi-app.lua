-- uWSGI's Lua plugin (WSAPI-style): the benchmark's workloads, routed by path.
-- Debian's plugin sends only function (iterator) bodies, so whole bodies are a
-- coroutine.wrap generator with their Content-Length (needed for keep-alive).
local hello = "Hello, world!\n"
local body64k = string.rep("x", 65536)
local chunk = string.rep("s", 1024)
local wsapi = dofile("bench/apps/wsapi.lua")  -- the wsapi workload: the file luagw serves

local function whole(body)
  return 200, { ["Content-Type"] = "text/plain", ["Content-Length"] = tostring(#body) },
    coroutine.wrap(function() coroutine.yield(body) end)
end

return function(env)
  local path = env.PATH_INFO
  if path == "/wsapi" then return wsapi.run(env) end
  if path == "/body64k" then return whole(body64k) end
  if path == "/echo" then return whole(env.input:read(tonumber(env.CONTENT_LENGTH) or 0) or "") end
  if path == "/stream" then
    return 200, { ["Content-Type"] = "text/plain", ["Content-Length"] = tostring(64 * #chunk) },
      coroutine.wrap(function() for _ = 1, 64 do coroutine.yield(chunk) end end)
  end
  if path == "/query" then
    local name = (env.QUERY_STRING or ""):match("name=([^&]*)") or ""
    return whole(name .. " " .. (env.HTTP_X_ONE or "") .. " " .. (env.HTTP_X_TWO or ""))
  end
  return whole(hello)
end
