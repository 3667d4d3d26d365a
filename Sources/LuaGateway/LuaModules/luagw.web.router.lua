-- `luagw.web.router` (SPEC 8): routes by method and path template, and is itself an application.
--   local r = require("luagw.web.router").new()
--   r:get("/users/:id", app, { name = "user" })    -- also :post :put :patch :delete :head :options
--   r:route({ "GET", "POST" }, "/files/*", app)    -- splat: params["*"]; "/a(/:b)" is optional
--   r:url_for("user", { id = 3 })                 --> SCRIPT_NAME .. "/users/3"
-- A template's `:name` matches one segment, `*` the rest of the path, `( )` an optional part.
-- The first route whose template matches and whose methods hold the request's answers (a GET
-- route answers HEAD too), with the captured params in environ["luagw.params"] and its template
-- in environ["luagw.route"]; a path that matches only other methods' routes gets 405 with Allow;
-- no match, 404 (or opts.fallback, an application).
local type, error, pairs, ipairs, tostring, setmetatable = type, error, pairs, ipairs, tostring, setmetatable
local sfind, ssub, gsub, smatch, upper, format, byte = string.find, string.sub, string.gsub, string.match,
  string.upper, string.format, string.byte
local concat, sort = table.concat, table.sort

-- The templates an optional part stands for: "/a(/:b)" is "/a/:b" and "/a".
local function expand(template)
  local open = sfind(template, "(", 1, true)
  if not open then return { template } end
  local depth, close = 0, nil
  for i = open, #template do
    local c = ssub(template, i, i)
    if c == "(" then depth = depth + 1 elseif c == ")" then depth = depth - 1 end
    if depth == 0 then close = i; break end
  end
  if not close then error(format("luagw.web.router: unbalanced '(' in %q", template), 4) end
  local before, inside, after = ssub(template, 1, open - 1), ssub(template, open + 1, close - 1), ssub(template, close + 1)
  local out = {}
  for _, with in ipairs(expand(before .. inside .. after)) do out[#out + 1] = with end
  for _, without in ipairs(expand(before .. after)) do out[#out + 1] = without end
  return out
end

-- A Lua pattern for a template without optional parts, and the names of its captures.
local function compile(template)
  local names, parts, i = {}, { "^" }, 1
  while i <= #template do
    local name_end = sfind(template, "[^%w_]", i + 1) or #template + 1
    local c = ssub(template, i, i)
    if c == ":" and name_end > i + 1 then
      names[#names + 1] = ssub(template, i + 1, name_end - 1)
      parts[#parts + 1] = "([^/]+)"
      i = name_end
    elseif c == "*" then
      names[#names + 1] = "*"
      parts[#parts + 1] = "(.*)"
      i = i + 1
    else
      parts[#parts + 1] = gsub(c, "%p", "%%%0")
      i = i + 1
    end
  end
  parts[#parts + 1] = "$"
  return concat(parts), names
end

local Router = {}
Router.__index = Router

-- The captures of a match as an array (the whole match when nothing is captured), or nil:
-- a table only for the route that matched.
local function captured(first, ...)
  if first == nil then return nil end
  return { first, ... }
end

local M = {}

-- opts.fallback: the application for paths no route matches (404 otherwise).
function M.new(opts)
  return setmetatable({ routes = {}, named = {}, fallback = opts and opts.fallback, script_name = "" }, Router)
end

-- Adds a route: `methods` a method or a list of them ("*" for any), `template` a path template,
-- `app` the application; opts.name names it for url_for. Returns the router.
function Router:route(methods, template, app, opts)
  if type(methods) == "string" then methods = { methods } end
  if type(methods) ~= "table" then error("bad argument #1 to 'route' (a method or a list of methods expected)", 2) end
  if type(template) ~= "string" or ssub(template, 1, 1) ~= "/" then
    error("bad argument #2 to 'route' (a path template starting with '/' expected)", 2)
  end
  if app == nil then error("bad argument #3 to 'route' (an application expected)", 2) end
  local allowed = {}
  for _, m in ipairs(methods) do allowed[upper(m)] = true end
  if allowed.GET then allowed.HEAD = true end
  -- The first segment when it is literal: a request whose first segment differs never tries
  -- the route's patterns (see candidates).
  local first = smatch(template, "^/([^/:*()]*)/") or smatch(template, "^/([^/:*()]*)$")
  local route = { template = template, app = app, allowed = allowed, methods = methods, matchers = {}, first = first }
  for _, concrete in ipairs(expand(template)) do
    local pattern, names = compile(concrete)
    route.matchers[#route.matchers + 1] = { pattern = pattern, names = names }
  end
  self.routes[#self.routes + 1] = route
  self.buckets = nil
  if opts and opts.name then self.named[opts.name] = route end
  return self
end

-- The routes to try for a first path segment, in the order they were added: those whose
-- template starts with that literal segment, and those whose first segment is not literal
-- (the only ones for a segment no template names). Built once after routes change.
local function candidates(self, segment)
  local buckets = self.buckets
  if not buckets then
    buckets = { [false] = {} }
    for _, route in ipairs(self.routes) do
      if route.first ~= nil and not buckets[route.first] then buckets[route.first] = {} end
    end
    for _, route in ipairs(self.routes) do
      if route.first == nil then
        for _, list in pairs(buckets) do list[#list + 1] = route end
      else
        local list = buckets[route.first]
        list[#list + 1] = route
      end
    end
    self.buckets = buckets
  end
  return buckets[segment] or buckets[false]
end

for _, method in ipairs({ "get", "post", "put", "patch", "delete", "head", "options" }) do
  Router[method] = function(self, template, app, opts)
    return self:route(upper(method), template, app, opts)
  end
end

-- The route and params that `path` matches for `method`; or nil and the methods allowed there.
function Router:match(method, path)
  local allow
  local routes = candidates(self, smatch(path, "^/([^/]*)") or false)
  for r = 1, #routes do  -- numeric loops: ipairs costs a C call per step
    local route = routes[r]
    local matchers = route.matchers
    for m = 1, #matchers do
      local matcher = matchers[m]
      local captures = captured(smatch(path, matcher.pattern))
      if captures then
        if route.allowed[method] or route.allowed["*"] then
          local params, names = {}, matcher.names
          for k = 1, #names do params[names[k]] = captures[k] end
          return route, params
        end
        allow = allow or {}
        for m2 in pairs(route.allowed) do allow[m2] = true end
        break
      end
    end
  end
  return nil, allow
end

function Router:__call(environ, start_response)
  local path = environ.PATH_INFO
  if path == nil or path == "" then path = "/" end
  self.script_name = environ.SCRIPT_NAME or ""
  local route, params = self:match(environ.REQUEST_METHOD, path)
  if route then
    environ["luagw.params"] = params
    environ["luagw.route"] = route.template
    return route.app(environ, start_response)
  end
  if params then
    local allow = {}
    for m in pairs(params) do allow[#allow + 1] = m end
    sort(allow)
    start_response("405 Method Not Allowed", { { "Allow", concat(allow, ", ") }, { "Content-Type", "text/plain" } })
    return "Method Not Allowed\n"
  end
  if self.fallback then return self.fallback(environ, start_response) end
  start_response("404 Not Found", { { "Content-Type", "text/plain" } })
  return "Not Found\n"
end

-- A path segment's value escaped for a URL (the splat keeps its slashes).
local function escape(value, keep_slash)
  return (gsub(tostring(value), keep_slash and "[^%w%-%._~!$&'()*+,;=:@/]" or "[^%w%-%._~!$&'()*+,;=:@]",
    function(c) return format("%%%02X", byte(c)) end))
end

-- The path of the route named `name` with `params` filled in, below the SCRIPT_NAME of the
-- request being routed; optional parts whose params are missing are left out.
function Router:url_for(name, params)
  local route = self.named[name]
  if not route then error(format("url_for: no route named %q", tostring(name)), 2) end
  params = params or {}
  for _, concrete in ipairs(expand(route.template)) do
    local missing = false
    local path = gsub(concrete, ":([%w_]+)", function(key)
      if params[key] == nil then missing = true; return "" end
      return escape(params[key])
    end)
    path = gsub(path, "%*", function()
      if params["*"] == nil then missing = true; return "" end
      return escape(params["*"], true)
    end)
    if not missing then return self.script_name .. path end
  end
  error(format("url_for: route %q needs params that were not given", name), 2)
end

return M
