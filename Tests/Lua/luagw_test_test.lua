-- luagw.test in plain Lua, through standalone.lua as `luagw lua-path` writes it out: the
-- client's environ, start_response's checks, the body's forms, form and JSON bodies, a directory.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local modules = here .. "/../../Sources/LuaGateway/LuaModules/"
local standalone = assert(loadfile(modules .. "standalone.lua"))("luagw._modules.standalone", modules .. "standalone.lua")
standalone.install()
local T = require "luagw.test"

-- What the application saw, in the body.
local seen
local client = T.client(function(environ, start_response)
  seen = environ
  local input = environ["wsgi.input"]
  local first = input:readline()
  local rest = input:read()
  start_response("201 Created", { { "Content-Type", "text/plain" }, { "Set-Cookie", "a=1" }, { "Set-Cookie", "b=2" } })
  return coroutine.wrap(function()
    coroutine.yield("line: " .. tostring(first))
    coroutine.yield("|rest: " .. tostring(rest))
  end)
end)

local res = client:post("/a%20b/c?x=1", { body = "one\ntwo", headers = { ["X-Thing"] = "yes", ["X_Sneaky"] = "no",
                                                                          ["Content-Type"] = "text/plain" } })
h.equal(res.status, 201, "status is a number")
h.equal(res.status_line, "201 Created", "status line")
h.equal(res.headers["CONTENT-TYPE"], "text/plain", "headers in any case")
h.equal(type(res.headers["set-cookie"]), "table", "a repeated header is an array")
h.equal(res.headers["set-cookie"][2], "b=2", "its values in order")
h.equal(res.body, "line: one\n|rest: two", "a generator's chunks joined; readline and read as the server's")
h.equal(seen.PATH_INFO, "/a b/c", "PATH_INFO is percent-decoded")
h.equal(seen.REQUEST_URI, "/a%20b/c?x=1", "REQUEST_URI as sent")
h.equal(seen.QUERY_STRING, "x=1", "QUERY_STRING")
h.equal(seen.SCRIPT_NAME, "", "an application is at the root")
h.equal(seen.CONTENT_LENGTH, "7", "CONTENT_LENGTH of the body")
h.equal(seen.CONTENT_TYPE, "text/plain", "CONTENT_TYPE from the header")
h.equal(seen.HTTP_X_THING, "yes", "HTTP_*")
h.equal(seen.HTTP_X_SNEAKY, nil, "a name with _ is dropped, as the server drops it")
h.equal(seen.SERVER_NAME .. ":" .. seen.SERVER_PORT, "localhost:80", "SERVER_NAME and SERVER_PORT from Host")
h.equal(seen["wsgi.url_scheme"], "http", "wsgi.url_scheme")
h.equal(seen["wsgi.version"][1], 1, "wsgi.version")
h.equal(seen["luagw.request_id"], "test-1", "a request id")
h.check(seen["wsgi.errors"].write ~= nil, "wsgi.errors")

-- Forms and JSON, through luagw.web.request and .response.
local web = { request = require "luagw.web.request", response = require "luagw.web.response" }
local echo = T.client(function(environ, start_response)
  local req = web.request(environ)
  if environ.CONTENT_TYPE == "application/json" then
    return web.response.json({ got = req:json().name })(environ, start_response)
  end
  environ["wsgi.errors"]:write("form seen\n")
  return web.response{ status = 200, body = req.form.name .. "," .. req.form.tag }(environ, start_response)
end)
res = echo:post("/", { form = { name = "Ada L", tag = "x&y" } })
h.equal(res.body, "Ada L,x&y", "a form body, urlencoded")
h.equal(res.errors, "form seen\n", "what wsgi.errors got")
if pcall(require, "cjson") then
  res = echo:post("/", { json = { name = "Ada" } })
  h.equal(res:json().got, "Ada", "a JSON body and res:json()")
end

-- start_response misuse fails as it would in the server.
local function fails(app, pattern, what)
  local ok, err = pcall(function() return T.client(app):get("/") end)
  h.check(not ok and tostring(err):find(pattern), what .. ": " .. tostring(err))
end
fails(function(e, sr) sr("200 OK", { { "Transfer-Encoding", "chunked" } }) return "" end, "hop%-by%-hop", "a hop-by-hop header")
fails(function(e, sr) sr("OK", {}) return "" end, "is not \"NNN Reason\"", "a bad status")
fails(function(e, sr) sr(200, {}); sr(500, {}) return "" end, "second time without exc_info", "start_response twice")
fails(function(e, sr) return "x" end, "without calling start_response", "no start_response")
fails(function(e, sr) sr(200, {}) return { "a", 1 } end, "body element 2", "a body array of non-strings")
fails(function(e, sr) error("boom") end, "boom", "the application's own error")

-- A table body, close called once, HEAD and 204 without a body, a file wrapper.
local closed = 0
local tbl = T.client(function(e, sr)
  sr(e.PATH_INFO == "/none" and 204 or 200, { ["Content-Length"] = "2" })
  return setmetatable({ "a", "bcd" }, { __close = function() closed = closed + 1 end })
end)
h.equal(tbl:get("/").body, "ab", "a body past its Content-Length is cut, as the server cuts it")
h.equal(closed, 1, "the body's close, once")
h.equal(tbl:head("/").body, "", "HEAD: no body")
h.equal(tbl:get("/none").body, "", "204: no body")
local file = os.tmpname()
local f = assert(io.open(file, "w")); f:write(("x"):rep(70000)); f:close()
res = T.client(function(e, sr) sr(200, {}) return e["wsgi.file_wrapper"](file) end):get("/")
h.equal(#res.body, 70000, "a file wrapper's bytes")
os.remove(file)

-- A directory: public/ first, then the longest mount, wrapped by _middleware.lua.
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir .. "/public " .. dir .. "/api " .. dir .. "/_lib"))
local function write(path, text) local w = assert(io.open(dir .. "/" .. path, "w")); w:write(text); w:close() end
write("public/index.html", "<h1>hi</h1>")
write("_middleware.lua", [[return function(app, info)
  return function(e, sr) return app(e, function(s, hs) hs[#hs + 1] = { "X-Mount", info.mount } return sr(s, hs) end) end
end]])
write("api/users.lua", [[return function(e, sr) sr(200, {}) return e.SCRIPT_NAME .. "|" .. e.PATH_INFO end]])
write("api.lua", [[return function(e, sr) sr(200, {}) return "api" end]])
write("_lib/secret.lua", [[return function(e, sr) sr(200, {}) return "secret" end]])
local site = T.client(dir)
res = site:get("/")
h.equal(res.body, "<h1>hi</h1>", "/ is public/index.html")
h.equal(res.headers["content-type"], "text/html; charset=utf-8", "with its type")
res = site:get("/api/users/42")
h.equal(res.body, "/api/users|/42", "the longest mount; SCRIPT_NAME and PATH_INFO")
h.equal(res.headers["x-mount"], "/api/users", "wrapped by the root's _middleware.lua")
h.equal(site:get("/api/other").body, "api", "a shorter mount")
h.equal(site:get("/_lib/secret").status, 404, "a _ folder is never mounted")
os.execute("rm -r " .. dir)

h.check(not pcall(T.equal, 1, 2, "one"), "equal raises on a difference")
h.finish("luagw_test_test")
