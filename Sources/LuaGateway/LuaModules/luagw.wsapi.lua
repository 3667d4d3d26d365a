-- `luagw.wsapi` (SPEC 9): a WSAPI application served as a luagw one. A script that returns a
-- table with `run` (Orbit's, wsapi.request's users', Sputnik's), or a function of one parameter
-- (uWSGI's Lua plugin's `--lua` files), is wrapped by `app` when it loads (scripts.lua); a
-- user may call `require("luagw.wsapi").app(run)` too.
--
-- run(wsapi_env) gets environ itself, completed as WSAPI hosts complete it: undefined
-- variables read as "", PATH_INFO "/" when empty, APP_PATH, PATH_TRANSLATED, `input` with
-- WSAPI's read(n) (n omitted: CONTENT_LENGTH bytes), `error` (wsgi.errors). A chunked upload
-- is read first (up to the body limit), so that CONTENT_LENGTH is set. What run returns
-- (status, headers, iterator) becomes start_response and the body; `error({code, message})`
-- answers that status with the message. See docs/wsapi.md.
local C, need = ...
local start_response_module = need("start_response")
local traced_error = need("traced_error")
local is_callable = need("scripts").is_callable
local log, traceback = C.log, C.traceback
local object = need("request").object
local type, error, next, tostring, tonumber, setmetatable, getmetatable, xpcall = type, error, next, tostring,
  tonumber, setmetatable, getmetatable, xpcall
local tointeger, mtype = math.tointeger, math.type
local sfind, ssub, lower, format, gsub, match = string.find, string.sub, string.lower, string.format, string.gsub,
  string.match
local concat = table.concat
local getinfo = debug.getinfo

local HOP_BY_HOP = start_response_module.hop_by_hop

-- Bytes of a body with a declared Content-Length that are gathered into one write; a longer
-- body is streamed as it comes.
local GATHERED = 64 * 1024

local function directory_of(file)
  return match(file, "^(.*)/[^/]*$") or "."
end

-- Undefined variables read as "" (WSAPI's invariant); APP_PATH and PATH_TRANSLATED are
-- worked out when first read (WSAPI's own hosts fill the environment on demand too).
local EMPTY = {
  __index = function(env, key)
    local value = ""
    if key == "APP_PATH" then
      value = directory_of(env.SCRIPT_FILENAME)
    elseif key == "PATH_TRANSLATED" then
      value = env.DOCUMENT_ROOT .. env.PATH_INFO
    end
    return value
  end,
}

-- `input`: WSAPI's read(n), n omitted meaning CONTENT_LENGTH bytes, nil once nothing is left.
-- One input per request coroutine (a state runs many requests at once), reset for each request.
local Input = {}
Input.__index = Input

function Input:read(n)
  n = n == nil and self.length or tointeger(tonumber(n))
  if not n then error("bad argument to 'read' (a byte count expected)", 2) end
  if n <= 0 then return nil end
  local buffered = self.buffered
  if not buffered then return self.stream:read(n) end
  local pos = self.pos
  if pos > #buffered then return nil end
  self.pos = pos + n
  return ssub(buffered, pos, pos + n - 1)
end

-- Completes environ into WSAPI's environment. A chunked upload (no CONTENT_LENGTH) is read
-- whole first (wsgi.input stops at the server's body limit), so that the application sees
-- its length as WSAPI promises.
local function wsapi_env(env)
  local length = env.CONTENT_LENGTH
  local input = object("wsapi_input", Input)
  input.stream, input.buffered, input.pos = env["wsgi.input"], false, 1
  if length == nil and env.HTTP_TRANSFER_ENCODING ~= nil then
    local body = input.stream:read() or ""
    length = tostring(#body)
    env.CONTENT_LENGTH, input.buffered = length, body
  end
  input.length = length and tointeger(tonumber(length)) or 0
  if env.PATH_INFO == "" then env.PATH_INFO = "/" end
  env.input, env.error = input, env["wsgi.errors"]
  if getmetatable(env) == nil then setmetatable(env, EMPTY) end
  return env
end

-- WSAPI's status: a number, "NNN", or "NNN Reason".
local function status_of(status)
  if type(status) == "string" and sfind(status, "^%d%d%d$") then return tointeger(tonumber(status)) end
  if status == nil then error("the WSAPI application returned no status", 0) end
  return status
end

-- Hop-by-hop headers a WSAPI application may set (its host used to frame the response) are
-- dropped; the first of each name in a state is logged.
local dropped_logged = {}
local function drop(env, name, key)
  if dropped_logged[key] then return end
  dropped_logged[key] = true
  local errors = env["wsgi.errors"]
  log(errors.id, format("luagw.wsapi: dropped the hop-by-hop header %s the application set (framing is "
    .. "the server's job; logged once per state)", name), errors.mount)
end

-- Header names in lower case, as far as they have been seen (a few hundred at most are kept).
local lowered, lowered_count = {}, 0
local function lower_name(name)
  local key = lowered[name]
  if key then return key end
  if type(name) ~= "string" then return nil end
  key = lower(name)
  if lowered_count < 1024 then lowered[name], lowered_count = key, lowered_count + 1 end
  return key
end

-- The header map as start_response's list of pairs (one list and its pairs per state, reused:
-- start_response reads them at once); an array value is a repeated field. Also the declared
-- Content-Length.
local list, spare, NONE = {}, {}, {}
local function add(k, name, value)
  local pair = spare[k]
  if not pair then pair = {}; spare[k] = pair end
  pair[1], pair[2] = name, value
  list[k] = pair
end

local function header_list(env, headers)
  local k, length = 0, nil
  if headers ~= nil and type(headers) ~= "table" then
    error(format("the WSAPI application returned %s headers; expected a table", type(headers)), 0)
  end
  for name, value in next, headers or NONE do
    local key = lower_name(name)
    if HOP_BY_HOP[key] then
      drop(env, name, key)
    elseif type(value) == "table" then
      for i = 1, #value do k = k + 1; add(k, name, tostring(value[i])) end
    else
      if key == "content-length" then length = tointeger(tonumber(value)) end
      if type(value) ~= "string" then value = tostring(value) end  -- finish() sets Content-Length as a number
      k = k + 1; add(k, name, value)
    end
  end
  for i = k + 1, #list do list[i] = nil end
  return list, length
end

-- The next chunk of a body iterator: a string, or nil at its end.
local function next_string(iterator)
  local chunk = iterator()
  if chunk ~= nil and type(chunk) ~= "string" then
    error(format("the body iterator returned a %s; expected a string, or nil at the end", type(chunk)), 0)
  end
  return chunk
end

-- The body of the luagw response: a small declared one gathered into one string, anything
-- else as the iterator (streamed, with backpressure) or as it is. A gathered iterator is
-- then called until it returns nil, as WSAPI hosts do (code after its last chunk runs), at most
-- 64 more times (an endless iterator cannot hold the state).
local function body_of(iterator, length)
  if not length or length > GATHERED or not is_callable(iterator) then return iterator end
  local chunk = next_string(iterator)
  if chunk == nil then return "" end
  local total = #chunk
  if total < length then
    local parts, k = { chunk }, 1
    while total < length do
      chunk = next_string(iterator)
      if chunk == nil then return concat(parts, "", 1, k) end
      k, total = k + 1, total + #chunk
      parts[k] = chunk
    end
    chunk = concat(parts, "", 1, k)
  end
  for _ = 1, 64 do
    if iterator() == nil then break end
  end
  return chunk
end

-- error({code, message}): WSAPI's way to answer a status other than 500.
local function is_status_error(e)
  return type(e) == "table" and getmetatable(e) == nil and mtype(e[1]) == "integer" and e[1] >= 100 and e[1] <= 599
end

-- Keeps a status error as it is; anything else gets its traceback here, where it was raised.
local function on_error(e)
  if is_status_error(e) then return e end
  return traceback(e)
end

local function escape_html(s)
  return (gsub(s, "[<>&\"]", { ["<"] = "&lt;", [">"] = "&gt;", ["&"] = "&amp;", ['"'] = "&quot;" }))
end

-- The page of a status error, laid out as WSAPI's (its 404 page: the message in a paragraph).
local function status_page(code, message)
  local title = code == 404 and "Resource not found" or format("Error %d", code)
  return format("<html>\n<head><title>%s</title></head>\n<body>\n<p>%s</p>\n</body>\n</html>\n", title,
    escape_html(tostring(message == nil and "" or message)))
end

local M = {}

-- The luagw application that serves the WSAPI application `run` (a function, or a table
-- with a `run` function).
function M.app(run)
  if type(run) == "table" and not is_callable(run) then run = run.run end
  if not is_callable(run) then error("luagw.wsapi.app: expected a WSAPI application (run(wsapi_env))", 2) end
  return function(environ, start_response)
    local env = wsapi_env(environ)
    local ok, status, headers, iterator = xpcall(run, on_error, env)
    if not ok then
      if not is_status_error(status) then traced_error.raise(status) end
      local page = status_page(status[1], status[2])
      start_response(status[1], { { "Content-Type", "text/html" } })
      return page
    end
    local list, length = header_list(env, headers)
    start_response(status_of(status), list)
    return body_of(iterator, length)
  end
end

-- Whether `value`, what a script returned, is a WSAPI application: a table with a `run`
-- function that is not itself callable, or a Lua function of exactly one parameter (a luagw
-- application takes two: environ and start_response).
function M.is_app(value)
  if type(value) == "table" then
    return not is_callable(value) and is_callable(value.run)
  elseif type(value) == "function" then
    local info = getinfo(value, "u")
    return info.nparams == 1 and not info.isvararg
  end
  return false
end

return M
