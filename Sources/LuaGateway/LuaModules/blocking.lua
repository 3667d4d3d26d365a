-- Libraries that block the event loop (the prelude runs this in every state but `luagw cgi`'s).
-- LuaSocket's and LuaSQL's calls wait inside C, where luagw cannot suspend the request: while one
-- waits, its worker serves nothing else. When the C searchers load one of their modules, the
-- calls that may wait are wrapped (C.blocking): should one hold the loop for a second, the
-- server's warning names it, where the application called it, and what to use instead.
-- Nothing else changes: the calls do what they did.
local C = ...
local registry = debug.getregistry()
local blocking, searchers, type = C.blocking, package.searchers, type

local SOCKET = "LuaSocket waits without letting the worker serve its other requests: use luagw.socket "
  .. "(LuaSocket's API on luagw's sockets; socket.http and its kin run on it with create = require(\"luagw.socket\").tcp) "
  .. "or luagw.http"
local SLEEP = "LuaSocket sleeps without letting the worker serve its other requests: use luagw.sleep"
local SQL = "LuaSQL waits for its database without letting the worker serve its other requests: "
  .. "use luagw.sqlite or luagw.postgres"

-- Wraps the methods `names` of the objects of LuaSocket's or LuaSQL's class `class` (their
-- metatable's __index, in the registry).
local function wrap_class(class, names, advice, prefix)
  local metatable = registry[class]
  if type(metatable) == "table" and type(metatable.__index) == "table" then
    blocking(metatable.__index, names, advice, prefix)
  end
end

local function luasocket(core)
  blocking(core, { "connect", "select" }, SOCKET, "socket.")
  blocking(core, { "sleep" }, SLEEP, "socket.")
  if type(core.dns) == "table" then
    blocking(core.dns, { "toip", "tohostname", "getaddrinfo", "getnameinfo" }, SOCKET, "socket.dns.")
  end
  for _, class in ipairs { "tcp{master}", "tcp{client}", "tcp{server}" } do
    wrap_class(class, { "connect", "accept", "receive", "send" }, SOCKET, "tcp:")
  end
  for _, class in ipairs { "udp{connected}", "udp{unconnected}" } do
    wrap_class(class, { "receive", "receivefrom", "send", "sendto", "setpeername" }, SOCKET, "udp:")
  end
end

-- LuaSQL's drivers name their classes "<Driver> environment", "... connection", "... cursor".
local function luasql(driver)
  return function()
    wrap_class(driver .. " environment", { "connect" }, SQL, "env:")
    wrap_class(driver .. " connection", { "execute", "commit", "rollback", "prepare" }, SQL, "conn:")
    wrap_class(driver .. " cursor", { "fetch" }, SQL, "cur:")
  end
end

local wrappers = {
  ["socket.core"] = luasocket,
  ["luasql.sqlite3"] = luasql("SQLite3"), ["luasql.sqlite"] = luasql("SQLite"),
  ["luasql.postgres"] = luasql("PostgreSQL"), ["luasql.mysql"] = luasql("MySQL"),
  ["luasql.odbc"] = luasql("ODBC"), ["luasql.firebird"] = luasql("Firebird"), ["luasql.oci8"] = luasql("Oracle"),
}

-- The C searchers (package.searchers 3 and 4) hand out a loader that wraps what it loaded.
for i = 3, 4 do
  local search = searchers[i]
  searchers[i] = function(name, ...)
    local loader, extra = search(name, ...)
    local wrap = wrappers[name]
    if wrap == nil or type(loader) ~= "function" then return loader, extra end
    return function(...)
      local module = loader(...)
      wrap(module)
      return module
    end, extra
  end
end

return {}
