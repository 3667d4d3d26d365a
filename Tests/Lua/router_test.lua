-- luagw.web.router and luagw.web.mount as plain Lua: matching order, params, misuse.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
local router = h.load("luagw.web.router")
local mount = h.load("luagw.web.mount")

local function app(name) return function() return name end end
local r = router.new()
r:get("/a/:x", app("param"))
r:get("/a/fixed", app("fixed"))
r:get("/dots/:name.:ext", app("dots"), { name = "dots" })
r:route("*", "/any", app("any"))

local route, params = r:match("GET", "/a/fixed")
h.equal(route.app(), "param", "the first route that matches wins")
route, params = r:match("GET", "/dots/report.pdf")
h.equal(params.name .. "|" .. params.ext, "report|pdf", "a param ends at a non-word character")
h.equal(r:match("PATCH", "/any").app(), "any", "'*' allows every method")
local none, allow = r:match("POST", "/a/1")
h.equal(none, nil, "POST has no route there")
h.check(allow and allow.GET and allow.HEAD and not allow.POST, "the methods allowed there")
h.equal(select(2, r:match("GET", "/b")), nil, "no route at all: no methods")
h.equal(r:url_for("dots", { name = "a", ext = "b" }), "/dots/a.b", "url_for outside a request: no SCRIPT_NAME")
h.check(not pcall(r.url_for, r, "dots", { name = "a" }), "url_for without a needed param is an error")
h.check(not pcall(r.url_for, r, "nope", {}), "url_for of an unknown name is an error")
h.check(not pcall(r.get, r, "no-slash", app("x")), "a template must start with '/'")
h.check(not pcall(r.get, r, "/a(/b", app("x")), "an unbalanced '(' is an error")

h.check(not pcall(mount, { api = app("x") }), "a mount key must be a path")
h.check(not pcall(mount, { ["//host"] = app("x") }), "a host key needs a path")
local m = mount{ ["/x/"] = function(e) return e.SCRIPT_NAME .. "|" .. e.PATH_INFO end }
h.equal(m({ SCRIPT_NAME = "/s", PATH_INFO = "/x/y" }, nil), "/s/x|/y", "a trailing slash in a key is the same prefix")
h.finish("router_test")
