-- `luagw.postgres` (SPEC 13): `local db = require("luagw").postgres.connect(url_or_opts)`, then
-- `db:query(sql, ...)`, `db:exec(sql, ...)`, `db:transaction(fn)` with `$1`, `$2` ... bound.
-- Connecting does not wait (each worker opens its connections at its first statements), so a
-- script may connect at its top level and share `db`; its statements need a request or a timer.
local C, need = ...
local database = need("database")
local type, error, format, tostring, tonumber = type, error, string.format, tostring, tonumber
local char, math_type = string.char, math.type

local M = {}

local sslmodes = { disable = true, require = true, ["verify-full"] = true }

-- `%41` and `+`-free percent-decoding of a URL's part.
local function unescape(s)
  return (s:gsub("%%(%x%x)", function(hex) return char(tonumber(hex, 16)) end))
end

-- `postgres://user:pass@host:port/name?sslmode=...&pool=N` as connect's table.
local function parse(url)
  local rest = url:match("^postgres://(.*)$") or url:match("^postgresql://(.*)$")
  if not rest then
    error("luagw.postgres.connect: '" .. url .. "' is not a postgres:// URL", 3)
  end
  local opts = {}
  local query
  rest, query = rest:match("^([^?]*)%??(.*)$")
  local authority, path = rest:match("^([^/]*)/?(.*)$")
  local credentials, hostport = authority:match("^(.*)@([^@]*)$")
  hostport = hostport or authority
  if credentials then
    local user, password = credentials:match("^([^:]*):(.*)$")
    opts.user, opts.password = unescape(user or credentials), password and unescape(password)
  end
  local host, port = hostport:match("^%[(.*)%]:?(%d*)$")
  if not host then host, port = hostport:match("^([^:]*):?(%d*)$") end
  opts.host = host ~= "" and unescape(host) or nil
  opts.port = port ~= "" and tonumber(port) or nil
  opts.database = path ~= "" and unescape(path) or nil
  for key, value in query:gmatch("([^&=]+)=([^&]*)") do
    if key == "sslmode" then
      opts.sslmode = unescape(value)
    elseif key == "pool" then
      opts.pool = tonumber(value) or value
    else
      error("luagw.postgres.connect: unknown URL parameter '" .. key .. "' (sslmode and pool are known)", 3)
    end
  end
  return opts
end

local function check(opts, key, kind)
  local value = opts[key]
  if value ~= nil and type(value) ~= kind then
    error(format("luagw.postgres.connect: %s is a %s, got %s", key, kind, type(value)), 3)
  end
  return value
end

-- A `db` for the server, user and database that `url_or_opts` names (libpq's defaults: host
-- localhost, port 5432, user postgres, database the user's name; sslmode disable; pool 10).
function M.connect(url_or_opts)
  local kind = type(url_or_opts)
  if kind ~= "string" and kind ~= "table" then
    error(format("bad argument #1 to 'luagw.postgres.connect' (a URL or a table expected, got %s)", kind), 2)
  end
  local opts = kind == "string" and parse(url_or_opts) or url_or_opts
  local host = check(opts, "host", "string") or "localhost"
  local port = check(opts, "port", "number") or 5432
  local user = check(opts, "user", "string") or "postgres"
  local password = check(opts, "password", "string") or ""
  local name = check(opts, "database", "string") or user
  local sslmode = check(opts, "sslmode", "string") or "disable"
  local pool = opts.pool or 10
  if math_type(port) ~= "integer" or port < 1 or port > 65535 then
    error("luagw.postgres.connect: port is an integer from 1 to 65535, got " .. tostring(port), 2)
  end
  if not sslmodes[sslmode] then
    error("luagw.postgres.connect: sslmode is disable, require or verify-full, got '" .. sslmode .. "'", 2)
  end
  if math_type(pool) ~= "integer" or pool < 1 then
    error("luagw.postgres.connect: pool is a number of connections per worker, 1 or more, got " .. tostring(pool), 2)
  end
  if (host .. user .. name):find("\0", 1, true) then
    error("luagw.postgres.connect: a NUL byte in the host, user or database", 2)
  end
  return database.new("postgres", host .. "\0" .. port .. "\0" .. user .. "\0" .. name,
    sslmode .. " " .. pool .. " " .. password)
end

return M
