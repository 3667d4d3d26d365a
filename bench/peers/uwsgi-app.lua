-- uWSGI's Lua plugin (WSAPI-style): the same two workloads, routed by path.
-- Debian's plugin sends only function (iterator) bodies, so each body is a
-- coroutine.wrap generator with its Content-Length (needed for keep-alive).
local hello = "Hello, world!\n"
local body64k = string.rep("x", 65536)
return function(env)
  local body = env.PATH_INFO == "/body64k" and body64k or hello
  return 200, { ["Content-Type"] = "text/plain", ["Content-Length"] = tostring(#body) },
    coroutine.wrap(function() coroutine.yield(body) end)
end
