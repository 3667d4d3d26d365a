-- bench/middleware: luagw.web.router choosing among 50 routes (the request matches the last),
-- one param captured.
local r = require("luagw.web.router").new()
local function show(environ, start_response)
  start_response("200 OK", { { "Content-Type", "text/plain" } })
  return "item " .. environ["luagw.params"].id
end
for i = 1, 49 do r:get("/section" .. i .. "/:id", show) end
r:get("/items/:id", show)
return r
