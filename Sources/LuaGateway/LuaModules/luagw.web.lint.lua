-- `luagw.web.lint(app)` (SPEC 8): checks the wrapped application's use of the contract, as
-- Python's wsgiref.validate does, and reports each violation as a line "lint: ..." on
-- wsgi.errors (the log, with the request id); the response itself is left as it is. `luagw
-- serve --dev` wraps every script with it. What it checks:
--   environ       REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, QUERY_STRING, SERVER_NAME, SERVER_PORT
--                 and SERVER_PROTOCOL are strings; SCRIPT_NAME and PATH_INFO are "" or start with "/"
--   start_response  called once (again only with exc_info); a status line "NNN reason" (or a
--                 number); headers an array of { name, value } strings, names tokens, no
--                 hop-by-hop field, no "Status", values without CR or LF
--   the body      a string, an array of strings or an iterator of strings; nothing for
--                 1xx, 204 and 304; as long as a declared Content-Length; write() given strings
--   globals       a request that creates a global (`x = 1` without `local`): the requests of a
--                 state share its globals (SPEC 4), so per-request data there leaks between them
--                 (OpenResty warns the same way); reported once per name, with the request id
local C, need = ...
local is_callable = need("scripts").is_callable
local is_file = need("file_wrapper").is_file
local close_of = need("intercept").close_of
local type, error, tostring, tonumber, setmetatable, getmetatable, rawget, rawset, ipairs, pairs, tointeger = type,
  error, tostring, tonumber, setmetatable, getmetatable, rawget, rawset, ipairs, pairs, math.tointeger
local sfind, smatch, lower, format = string.find, string.match, string.lower, string.format

local HOP_BY_HOP = need("start_response").hop_by_hop
local STRINGS = { "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT",
                  "SERVER_PROTOCOL" }

local function check_environ(environ, report)
  if type(environ) ~= "table" then return report("environ is a %s, not a table", type(environ)) end
  for _, key in ipairs(STRINGS) do
    if type(environ[key]) ~= "string" then report("environ.%s is a %s, not a string", key, type(environ[key])) end
  end
  for _, key in ipairs({ "SCRIPT_NAME", "PATH_INFO" }) do
    local v = environ[key]
    if type(v) == "string" and v ~= "" and not sfind(v, "^/") then report("environ.%s %q does not start with '/'", key, v) end
  end
end

-- The status code of a valid status, after reporting what is wrong with it.
local function check_status(status, report)
  local code = type(status) == "number" and tointeger(status)
  if code then
    if code < 100 or code > 999 then report("status %d is not a three-digit code", code) end
    return code
  end
  if type(status) ~= "string" then report("status is a %s, not a string", type(status)); return nil end
  local digits = smatch(status, "^(%d%d%d) [^\r\n]+$")
  if not digits then report("status %q is not \"NNN reason\"", status); return tointeger(smatch(status, "^(%d%d%d)")) end
  return tointeger(digits)
end

-- The declared Content-Length, after reporting what is wrong with the headers.
local function check_headers(headers, report)
  if type(headers) ~= "table" then report("headers is a %s, not an array", type(headers)); return nil end
  local length
  for i, h in ipairs(headers) do
    if type(h) ~= "table" or type(h[1]) ~= "string" or type(h[2]) ~= "string" then
      report("header %d is not a { name, value } pair of strings", i)
    else
      local name = lower(h[1])
      if not smatch(h[1], "^[!#$%%&'*+%-.^_`|~%w]+$") then report("header name %q is not a token", h[1]) end
      if HOP_BY_HOP[name] then report("header %q is hop-by-hop: the server's business", h[1]) end
      if name == "status" then report("header \"Status\" is CGI's, not this contract's: use the status") end
      if sfind(h[2], "[\r\n]") then report("header %q has CR or LF in its value", h[1]) end
      if name == "content-length" then length = tointeger(tonumber(h[2])) end
    end
  end
  for key in pairs(headers) do
    if type(key) ~= "number" then report("headers has a field %q: a map, not an array of pairs", tostring(key)); break end
  end
  return length
end

-- A request that creates a global is reported on its wsgi.errors (a script's load is not).
local function report_global(env, name, value)
  rawset(env, name, value)
  if C.current() == nil then return end
  local where = debug.getinfo(2, "Sl")
  local place = where and where.currentline and where.currentline > 0
    and format(" (%s:%d)", (where.source:gsub("^@", "")), where.currentline) or ""
  need("errors").current():write(format("lint: the request wrote the global %q%s: the requests of a state share "
    .. "its globals (--requests-per-state); keep per-request data in locals or environ\n", tostring(name), place))
end

-- Watches `env`, a script's global environment (each script has its own; the requests of a
-- state share it): a metatable with a __newindex of its own is left alone.
local function watch_globals(env)
  if type(env) ~= "table" then return end
  local mt = getmetatable(env)
  if mt == nil then
    setmetatable(env, { __newindex = report_global })
  elseif type(mt) == "table" and rawget(mt, "__newindex") == nil then
    mt.__newindex = report_global
  end
end

-- The global environment of function `fn` (its _ENV upvalue), if it uses one.
local function env_of(fn)
  if type(fn) ~= "function" then return nil end
  for i = 1, 255 do
    local name, value = debug.getupvalue(fn, i)
    if name == nil then return nil end
    if name == "_ENV" then return value end
  end
end

local function new(app)
  if app == nil then return error("bad argument #1 to 'luagw.web.lint' (an application expected)", 2) end
  watch_globals(env_of(app))
  return function(environ, start_response)
    local errors = type(environ) == "table" and environ["wsgi.errors"]
    local function report(fmt, ...)
      local line = "lint: " .. format(fmt, ...) .. "\n"
      if errors then errors:write(line) end
    end
    check_environ(environ, report)
    local calls, code, declared, written = 0, nil, nil, 0
    local function checked_start(status, headers, exc_info)
      calls = calls + 1
      if calls > 1 and exc_info == nil then report("start_response called again without exc_info") end
      code = check_status(status, report)
      declared = check_headers(headers, report)
      local write = start_response(status, headers, exc_info)
      return function(data)
        if type(data) ~= "string" then report("write() given a %s, not a string", type(data)) end
        written = written + (type(data) == "string" and #data or 0)
        return write(data)
      end
    end
    local body = app(environ, checked_start)
    if calls == 0 and not C.current().websocket then  -- an accepted WebSocket's frames were the response
      report("the application returned without calling start_response")
    end
    local bodiless = code and (code < 200 or code == 204 or code == 304)
    local t = type(body)
    local function check_total(total)
      if bodiless and total > 0 then report("a %d response has a body (%d bytes)", code, total) end
      if declared and not bodiless and total ~= declared then
        report("Content-Length says %d, the body has %d bytes", declared, total)
      end
    end
    if t == "string" or t == "nil" then
      check_total(written + #(body or ""))
    elseif t == "table" and not is_callable(body) and not is_file(body) then
      local total = written
      for i, part in ipairs(body) do
        if type(part) ~= "string" then report("body element %d is a %s, not a string", i, type(part))
        else total = total + #part end
      end
      check_total(total)
    elseif is_callable(body) and not is_file(body) then
      local total = written
      local close = close_of(body)
      return setmetatable({ close = function() if close then close(body) end end }, { __call = function()
        local chunk = body()
        if chunk == nil then check_total(total); return nil end
        if type(chunk) ~= "string" then report("the body iterator returned a %s, not a string", type(chunk))
        else total = total + #chunk end
        return chunk
      end })
    elseif not is_file(body) then
      report("the application returned a %s: not a string, an array of strings or an iterator", t)
    end
    return body
  end
end

return setmetatable({ new = new, watch_globals = watch_globals }, { __call = function(_, ...) return new(...) end })
