-- luagw.ngx's request API and luagw.ngx.app without a server: ngx.var, ngx.req, ngx.header and the
-- response a handler makes (start_response played here), with OpenResty's results.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
h.C.now = os.time
-- One request at a time here: its record whatever coroutine runs (as C.current is in the server).
local record = { serial = 1 }
h.C.current = function() return record end
h.C.enter = function() return false end
h.C.leave = function(_, ...) return ... end
h.C.wrap = coroutine.wrap
local ngx = h.load("luagw.ngx")
local app = ngx.app

-- A request through `handler`: status line, headers (one "Name: value" string), body.
local function serve(handler, environ)
  record.serial = record.serial + 1
  local e = { REQUEST_METHOD = "GET", SCRIPT_NAME = "", PATH_INFO = "/", QUERY_STRING = "",
              SERVER_PROTOCOL = "HTTP/1.1", ["wsgi.url_scheme"] = "http" }
  for k, v in pairs(environ or {}) do e[k] = v end
  record.environ = e
  local status, headers, written = nil, {}, {}
  local body = app(handler)(e, function(s, list)
    status = s
    for _, pair in ipairs(list) do headers[#headers + 1] = pair[1] .. ": " .. pair[2] end
    return function(data) written[#written + 1] = data end
  end)
  return tostring(status), table.concat(headers, "|"), table.concat(written) .. (body or "")
end

local status, headers, body = serve(function()
  local args, err = ngx.req.get_uri_args()
  ngx.say(args.a, " ", type(args.b), " ", args.b[1], args.b[2], " ", tostring(args.flag), " ", args.e, " ", tostring(args[""]))
  ngx.say(select(2, ngx.req.get_uri_args(2)), " ", tostring(ngx.var.arg_B), " ", tostring(ngx.var.args), " ", ngx.var.uri)
  ngx.say(ngx.var.cookie_Lang, " ", ngx.var.http_user_agent, " ", ngx.req.get_headers()["User-Agent"])
end, { QUERY_STRING = "a=%41+b&b=1&B=0&b=2&flag&=x&e=", PATH_INFO = "/p q", HTTP_COOKIE = "lang=en; x=1",
       HTTP_USER_AGENT = "test" })
h.equal(status, "200 OK", "a handler's status")
h.equal(headers, "Content-Type: text/plain", "nginx's default type")
h.equal(body, "A b table 12 true  nil\ntruncated 1 a=%41+b&b=1&B=0&b=2&flag&=x&e= /p q\nen test test\n",
  "arguments, variables, headers")

status, headers, body = serve(function()
  ngx.header.x_a = "1"
  ngx.header["X-B"] = { "2", "3" }
  ngx.header.content_type = "application/json"
  ngx.status = 201
  ngx.print({ "[", { 1, 2.5 }, "]" })
end)
h.equal(status, "201 Created", "ngx.status")
h.equal(headers, "Content-Type: application/json|x-a: 1|X-B: 2|X-B: 3", "headers in order, Content-Type first")
h.equal(body, "[12.5]", "a nested array printed")

status, headers, body = serve(function()
  ngx.header["X-Kept"] = "yes"
  ngx.header["ETag"] = "dropped"
  ngx.exit(ngx.HTTP_NOT_FOUND)
  ngx.say("not reached")
end)
h.equal(status, "404 Not Found", "ngx.exit's status")
h.equal(headers, "Content-Type: text/html|X-Kept: yes", "nginx's page keeps the handler's headers, not its ETag")
h.check(body:find("<center><h1>404 Not Found</h1></center>\r\n<hr><center>luagw</center>", 1, true), "nginx's page: " .. body)

status, headers, body = serve(function()
  ngx.say("first")
  ngx.exit(500)
end)
h.equal(status .. " " .. body, "200 OK first\n", "after output, ngx.exit ends the body")

status = serve(function() return ngx.redirect("/there", ngx.HTTP_MOVED_PERMANENTLY) end)
h.equal(status, "301 Moved Permanently", "ngx.redirect")
h.check(not pcall(ngx.redirect, "/x", 200), "ngx.redirect refuses 200")

local ok, err = pcall(serve, function() error("boom") end)
h.check(not ok and tostring(err[1] or err):find("boom") and tostring(err[1] or err):find("stack traceback"),
  "an error keeps its traceback: " .. tostring(err[1] or err))

-- A record's next request starts from nginx's default response, whatever the one before did.
for i, before in ipairs({
  function() ngx.status = 201; ngx.say("a") end,
  function() ngx.status = 200; ngx.say("a") end,
  function() ngx.header["X-A"] = "1"; ngx.say("a") end,
  function() ngx.say("a"); ngx.flush() end,
  function() ngx.say("a"); ngx.exit(200) end,
  function() ngx.exit(404) end,
  function() ngx.say("a"); error("boom") end,
}) do
  pcall(serve, before)
  status, headers, body = serve(function() ngx.say("b"); ngx.flush(); ngx.print("c"); ngx.say(); ngx.say(nil, 1) end)
  h.equal(status .. "|" .. headers .. "|" .. body, "200 OK|Content-Type: text/plain|b\nc\nnil1\n",
    "a request after another (" .. i .. ")")
end

h.finish("ngx_request_test")
