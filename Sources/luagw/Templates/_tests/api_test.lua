-- _tests/api_test.lua: `luagw test .` runs every *_test.lua file of the project; a test file
-- is a Lua script that raises an error when something is wrong. In plain Lua, from this folder:
--   LUA_PATH="$(luagw lua-path)/?.lua;;" lua5.4 _tests/api_test.lua
local test = require "luagw.test"
local client = test.client(".")  -- the project, as `luagw serve .` serves it

local res = client:get("/")
test.equal(res.status, 200, "GET /")
assert(res.body:find("It works", 1, true), "GET / is public/index.html")

res = client:get("/api/hello/Ada")
test.equal(res.status, 200, "GET /api/hello/Ada")
test.equal(res.body, "Hello, Ada!\n", "GET /api/hello/Ada")
test.equal(res.headers["X-Content-Type-Options"], "nosniff", "the header of _middleware.lua")

res = client:post("/api/echo", { form = { message = "hi" } })
test.equal(res.body, "You said: hi\n", "POST /api/echo")

test.equal(client:get("/api/nowhere").status, 404, "GET /api/nowhere")
test.equal(client:delete("/api/echo").status, 405, "DELETE /api/echo")
