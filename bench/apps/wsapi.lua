-- bench: hello-world as a WSAPI application (SPEC 9), the way wsapi.response's finish() answers:
-- status, a header map with Content-Length, the body as a coroutine iterator. luagw serves this
-- file as it is; uWSGI's Lua plugin runs the same file (bench/peers/uwsgi-app.lua, /wsapi).
local hello = "Hello, world!\n"

return {
  run = function(wsapi_env)
    return 200, { ["Content-Type"] = "text/plain", ["Content-Length"] = tostring(#hello) },
      coroutine.wrap(function() coroutine.yield(hello) end)
  end,
}
