-- `luagw.sqlite` (SPEC 13): `local db = require("luagw").sqlite.open("app.db")`, then
-- `db:query(sql, ...)`, `db:exec(sql, ...)`, `db:transaction(fn)`. Opening does not wait (the
-- first statement opens the file), so a script may open at its top level and share `db`.
local C, need = ...
local database = need("database")
local scripts = need("scripts")
local type, error, format, tostring, floor = type, error, string.format, tostring, math.floor

local M = {}

-- The database at `path` (relative to the served directory, or absolute), created when
-- missing unless opts.readonly; opts.busy_timeout: seconds to wait for another process's lock.
function M.open(path, opts)
  if type(path) ~= "string" or path == "" then
    error(format("bad argument #1 to 'luagw.sqlite.open' (a file path expected, got %s)", type(path)), 2)
  end
  if path == ":memory:" or path:sub(1, 5) == "file:" then
    error("luagw.sqlite.open: '" .. path .. "' is not a file path (each connection of the server would have "
      .. "a database of its own; use a file, in /tmp for a scratch one)", 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(format("bad argument #2 to 'luagw.sqlite.open' (a table expected, got %s)", type(opts)), 2)
  end
  opts = opts or {}
  local busy = opts.busy_timeout or 5
  if type(busy) ~= "number" or busy < 0 or busy ~= busy then
    error("luagw.sqlite.open: busy_timeout is a number of seconds, 0 or more, got " .. tostring(busy), 2)
  end
  if path:sub(1, 1) ~= "/" then path = scripts.root .. "/" .. path end
  local readonly = opts.readonly and true or false
  return database.new("sqlite", path, (readonly and "ro " or "rw ") .. format("%.3f", busy),
    { readonly = readonly, busy_ms = floor(busy * 1000) })
end

return M
