-- api.lua: the application, at /api (luagw serve mounts every .lua file at its path, without
-- the extension: api.lua serves /api and everything below it).
local router = require "luagw.web.router"
local web = { request = require "luagw.web.request", response = require "luagw.web.response" }

local r = router.new()

-- GET /api/hello/Ada
r:get("/hello/:name", function(environ, start_response)
  local name = environ["luagw.params"].name
  start_response(200, { { "Content-Type", "text/plain; charset=utf-8" } })
  return "Hello, " .. name .. "!\n"
end, { name = "hello" })

-- POST /api/echo with a form field `message`
r:post("/echo", function(environ, start_response)
  local req = web.request(environ)
  local res = web.response{ status = 200, headers = { { "Content-Type", "text/plain; charset=utf-8" } },
                            body = "You said: " .. (req.form.message or "nothing") .. "\n" }
  return res(environ, start_response)
end)

return r  -- a router is an application
