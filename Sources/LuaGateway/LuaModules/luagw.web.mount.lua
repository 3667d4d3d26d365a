-- `luagw.web.mount{ [prefix] = app, ... }` (SPEC 8): several applications in one, as werkzeug's
-- DispatcherMiddleware. A key "/api" takes the paths "/api" and "/api/..." (whole segments),
-- moving "/api" from PATH_INFO to the end of SCRIPT_NAME; "/" takes everything else and leaves
-- both as they are. A key "//example.com/..." does the same for requests whose Host is
-- example.com (any port, any case). The longest matching prefix wins, a host's before any
-- path-only one; no match is 404.
local type, error, pairs, setmetatable = type, error, pairs, setmetatable
local ssub, smatch, lower, sort = string.sub, string.match, string.lower, table.sort

local function not_found(environ, start_response)
  start_response("404 Not Found", { { "Content-Type", "text/plain" } })
  return "Not Found\n"
end

-- Whether `path` is `prefix` or below it, at a segment boundary.
local function below(path, prefix)
  if prefix == "" then return true end
  return ssub(path, 1, #prefix) == prefix and (#path == #prefix or ssub(path, #prefix + 1, #prefix + 1) == "/")
end

local function new(apps)
  if type(apps) ~= "table" then error("bad argument #1 to 'luagw.web.mount' (a table of prefixes expected)", 2) end
  local entries = {}
  for key, app in pairs(apps) do
    if type(key) ~= "string" or ssub(key, 1, 1) ~= "/" then
      error("luagw.web.mount: keys are paths (\"/api\") or hosts and paths (\"//example.com/\")", 2)
    end
    local host, prefix = smatch(key, "^//([^/]+)(/.*)$")
    if key == "//" or (ssub(key, 1, 2) == "//" and not host) then
      error("luagw.web.mount: a host key needs a path after it (\"//example.com/\")", 2)
    end
    prefix = prefix or key
    if ssub(prefix, -1) == "/" then prefix = ssub(prefix, 1, -2) end  -- "/" → "", "/api/" → "/api"
    entries[#entries + 1] = { host = host and lower(host), prefix = prefix, app = app }
  end
  sort(entries, function(a, b)
    if (a.host ~= nil) ~= (b.host ~= nil) then return a.host ~= nil end
    return #a.prefix > #b.prefix
  end)
  return function(environ, start_response)
    local path = environ.PATH_INFO or ""
    local authority = environ.HTTP_HOST or environ.SERVER_NAME or ""
    local host = lower(smatch(authority, "^(%[[^%]]*%])") or smatch(authority, "^([^:]*)"))
    for i = 1, #entries do
      local entry = entries[i]
      if (entry.host == nil or entry.host == host) and below(path, entry.prefix) then
        if entry.prefix ~= "" then
          environ.SCRIPT_NAME = (environ.SCRIPT_NAME or "") .. entry.prefix
          environ.PATH_INFO = ssub(path, #entry.prefix + 1)
        end
        return entry.app(environ, start_response)
      end
    end
    return not_found(environ, start_response)
  end
end

return setmetatable({ new = new }, { __call = function(_, ...) return new(...) end })
