-- luagw.ngx's request API (SPEC 7), OpenResty's names, arguments and results: `ngx.var`, `ngx.req`,
-- `ngx.ctx`, `ngx.status`, `ngx.header`, `ngx.headers_sent`, read from the running request's environ.
-- A state runs many requests at once: `ngx.var`, `ngx.req` and `ngx.header` are proxies that find
-- the running request at each use (libraries keep them from load time, as lua-nginx-cookie keeps
-- `ngx.header`), and `ngx.status`, `ngx.ctx`, `ngx.headers_sent` are read through `ngx`'s metatable.
-- What belongs to one request lives in its record (C.current()), under `ngx`: one table per
-- record, reset for each request; a light thread uses its request's (its record's `parent`).
local C, need = ...
local parse_cookies = need("luagw.web.request").parse_cookies
local decode_args = need("luagw.ngx.codec").decode_args
local hop_by_hop = need("start_response").hop_by_hop
local errors = need("errors")
local current, now = C.current, C.now
local type, error, tostring, tonumber, pairs, rawget, rawset, setmetatable = type, error, tostring, tonumber,
  pairs, rawget, rawset, setmetatable
local sfind, ssub, gsub, lower, upper, format = string.find, string.sub, string.gsub, string.lower, string.upper,
  string.format
local tointeger = math.tointeger

local M = {}

-- Makes record `r`'s ngx table ready for a new request: `start_response` when luagw.ngx.app runs it.
-- What only some requests use (headers, ngx.ctx, the body, ngx.exit, a flush...) is reset when the
-- last one used it (`used`, set by whoever sets those).
function M.begin(r, environ, start_response)
  local n = r.ngx
  if not n then
    n = { r = r, out = {}, used = true }
    r.ngx = n
  end
  local serial = r.serial
  n.serial = serial
  -- `live`: while ngx.say may take its fast path; `plain`: while the response is nginx's default
  -- (no status or header set, nothing sent, no ngx.exit), which luagw.ngx.output ends the fast way.
  -- Whoever makes `plain` false sets `used` too.
  n.live = start_response and serial
  n.plain = true
  n.environ = environ
  n.start_response = start_response
  n.status = 0
  n.sent = false
  n.outn = 0
  n.outbytes = 0
  n.start_time = now()
  if n.used then
    n.used, n.write, n.exit, n.aborted, n.headers, n.order, n.ctx, n.vars, n.cookies, n.body, n.body_read =
      false, nil, nil, false, nil, nil, nil, nil, nil, nil, false
  end
  return n
end

-- The running request's ngx table, for the function `name`; an error outside a request.
local function state(name)
  local r = current()
  while r and r.environ == nil and r.parent do r = r.parent end
  if r then
    local n = r.ngx
    if n and n.serial == r.serial then return n end
    if r.environ then return M.begin(r, r.environ) end
  end
  error(name .. ": no request here (the request API works while a request runs)", 3)
end
M.state = state

-- OpenResty's query and form arguments (ngx.decode_args's parsing); `max` as given (100 by default).
local function parse_args(s, max)
  if max == nil then return decode_args(s or "") end
  return decode_args(s or "", max)
end

local function args_of(e)
  local q = e.QUERY_STRING
  if q == "" then return nil end
  return q
end

-- ngx.var's built-in variables, from the environ.
local function uri(e) return (e.SCRIPT_NAME or "") .. (e.PATH_INFO or "") end
local VARIABLES = {
  uri = uri, document_uri = uri, args = args_of, query_string = args_of,
  is_args = function(e) return args_of(e) and "?" or "" end,
  request_uri = function(e) return e.REQUEST_URI end,
  request_method = function(e) return e.REQUEST_METHOD end,
  host = function(e) return e.SERVER_NAME and lower(e.SERVER_NAME) end,
  server_name = function(e) return e.SERVER_NAME end,
  scheme = function(e) return e["wsgi.url_scheme"] end,
  https = function(e) return e["wsgi.url_scheme"] == "https" and "on" or "" end,
  server_port = function(e) return e.SERVER_PORT end,
  server_protocol = function(e) return e.SERVER_PROTOCOL end,
  remote_addr = function(e) return e.REMOTE_ADDR end,
  remote_port = function(e) return e.REMOTE_PORT end,
  content_type = function(e) return e.CONTENT_TYPE end,
  content_length = function(e) return e.CONTENT_LENGTH end,
  request_id = function(e) return e["luagw.request_id"] end,
}

-- $arg_NAME: the raw value of the first NAME= in the query (the name in any case).
local function arg_value(args, name)
  if not args then return nil end
  for pair in (args .. "&"):gmatch("([^&]*)&") do
    local eq = sfind(pair, "=", 1, true)
    if eq and lower(ssub(pair, 1, eq - 1)) == name then return ssub(pair, eq + 1) end
  end
end

-- $cookie_NAME: the first cookie of that name (in any case).
local function cookie_value(n, name)
  local cookies = n.cookies
  if not cookies then
    cookies = parse_cookies(n.environ.HTTP_COOKIE)
    n.cookies, n.used = cookies, true
  end
  local value = cookies[name]
  if value then return value end
  for k, v in pairs(cookies) do
    if lower(k) == name then return v end
  end
end

local function variable(n, name)
  local e = n.environ
  local get = VARIABLES[name]
  if get then return get(e) end
  local set = n.vars and n.vars[name]
  if set ~= nil then return set end
  local prefix, rest = name:match("^(%a+)_(.+)$")
  if prefix == "http" then
    local key = upper(gsub(rest, "-", "_"))
    if key == "CONTENT_TYPE" or key == "CONTENT_LENGTH" then return e[key] end
    return e["HTTP_" .. key]
  elseif prefix == "cookie" then
    return cookie_value(n, rest)
  elseif prefix == "arg" then
    return arg_value(args_of(e), rest)
  end
  return nil
end

M.var = setmetatable({}, {
  __index = function(_, name)
    return variable(state("ngx.var"), lower(tostring(name)))
  end,
  -- A built-in is not changeable (as in OpenResty); any other name is kept for the request
  -- (OpenResty wants it declared with `set $name` in nginx.conf first).
  __newindex = function(_, name, value)
    local n = state("ngx.var")
    name = lower(tostring(name))
    if VARIABLES[name] or name:match("^http_") or name:match("^cookie_") or name:match("^arg_") then
      error(format('variable "%s" not changeable', name), 2)
    end
    local vars = n.vars
    if not vars then vars = {}; n.vars, n.used = vars, true end
    vars[name] = value ~= nil and tostring(value) or nil
  end,
})

-- Header names as OpenResty takes them: "_" is "-", any case.
local function header_key(name)
  return lower(gsub(name, "_", "-"))
end

-- Request headers: a table that finds a name in any case, with "_" for "-".
local HeaderTable = { __index = function(t, name)
  if type(name) ~= "string" then return nil end
  local key = header_key(name)
  if key == name then return nil end
  return rawget(t, key)
end }

local function get_headers(max)
  local e = state("ngx.req.get_headers").environ
  max = tointeger(max) or 100
  local t, count = setmetatable({}, HeaderTable), 0
  for k, v in pairs(e) do
    local name
    if type(k) == "string" and ssub(k, 1, 5) == "HTTP_" then name = lower(gsub(ssub(k, 6), "_", "-"))
    elseif k == "CONTENT_TYPE" or k == "CONTENT_LENGTH" then name = lower(gsub(k, "_", "-")) end
    if name then
      if max > 0 and count == max then return t, "truncated" end
      count = count + 1
      t[name] = v
    end
  end
  return t
end

local function read_body()
  local n = state("ngx.req.read_body")
  if not n.body_read then
    n.body = n.environ["wsgi.input"]:read()
    n.body_read, n.used = true, true
  end
end

local VERSIONS = { ["HTTP/1.1"] = 1.1, ["HTTP/1.0"] = 1.0, ["HTTP/2.0"] = 2.0, ["HTTP/0.9"] = 0.9 }

local function new_req()
  return {
    get_method = function() return state("ngx.req.get_method").environ.REQUEST_METHOD end,
    http_version = function() return VERSIONS[state("ngx.req.http_version").environ.SERVER_PROTOCOL] end,
    start_time = function() return state("ngx.req.start_time").start_time end,
    get_headers = get_headers,
    get_uri_args = function(max)
      return parse_args(args_of(state("ngx.req.get_uri_args").environ), max)
    end,
    read_body = read_body,
    discard_body = read_body,
    get_body_data = function()
      local n = state("ngx.req.get_body_data")
      if n.body == "" then return nil end
      return n.body
    end,
    get_post_args = function(max)
      local n = state("ngx.req.get_post_args")
      if not n.body_read then
        error("no request body found; maybe you should turn on lua_need_request_body?", 2)
      end
      return parse_args(n.body, max)
    end,
  }
end

local function log_error(message)
  errors.current():write("[error] " .. message .. "\n")
end

-- Response headers (ngx.header): kept per request in the order they were first set, each a list of
-- values. A table assigned is copied (lua-nginx-cookie reuses the table it assigned), and a
-- multi-value header is read as a new table.
local function get_header(n, name)
  local entry = n.headers and n.headers[header_key(name)]
  if not entry then return nil end
  local values = entry.values
  if #values == 1 then return values[1] end
  local copy = {}
  for i = 1, #values do copy[i] = values[i] end
  return copy
end

local function set_header(n, name, value)
  if n.sent then
    log_error(format("attempt to set ngx.header.%s after sending out response headers", name))
    return
  end
  local display = gsub(name, "_", "-")
  local key = lower(display)
  local values
  if type(value) == "table" then
    values = {}
    for i = 1, #value do values[i] = tostring(value[i]) end
    if #values == 0 then values = nil end
  elseif value ~= nil then
    values = { tostring(value) }
  end
  local headers = n.headers
  if not headers then
    if not values then return end
    headers = {}
    n.headers, n.order, n.used, n.plain = headers, {}, true, false
  end
  local entry = headers[key]
  if not values then
    headers[key] = nil
    return
  end
  if entry then
    entry.values = values
  else
    headers[key] = { name = key == "content-type" and "Content-Type" or display, values = values }
    n.order[#n.order + 1] = key
  end
end

M.header = setmetatable({}, {
  __index = function(_, name)
    if type(name) ~= "string" then return nil end
    return get_header(state("ngx.header"), name)
  end,
  __newindex = function(_, name, value)
    if type(name) ~= "string" then error("bad argument #2 to 'ngx.header' (a header name expected)", 2) end
    set_header(state("ngx.header"), name, value)
  end,
})

-- The header list for start_response: Content-Type first (`content_type`: the one to send, false
-- for none, nil for the handler's), then the others in the order they were set; hop-by-hop
-- headers (framing is the server's) and those in `drop` left out.
function M.header_list(n, content_type, drop)
  local list = {}
  local headers = n.headers
  if content_type == nil and headers and headers["content-type"] then
    content_type = headers["content-type"].values[1]
  end
  if content_type then list[1] = { "Content-Type", content_type } end
  if not headers then return list end
  local order = n.order
  for i = 1, #order do
    local key = order[i]
    local entry = headers[key]
    if entry and key ~= "content-type" and not hop_by_hop[key] and not (drop and drop[key]) then
      local values = entry.values
      for j = 1, #values do list[#list + 1] = { entry.name, values[j] } end
    end
  end
  return list
end

-- ngx.status, ngx.ctx, ngx.headers_sent: per request, through ngx's metatable.
local FIELDS = {
  status = function(n) return n.status end,
  headers_sent = function(n) return n.sent or (n.r.websocket and true or false) end,
  ctx = function(n)
    local ctx = n.ctx
    if not ctx then ctx = {}; n.ctx, n.used = ctx, true end
    return ctx
  end,
}

local function set_field(t, name, value)
  if name == "status" then
    local n = state("ngx.status")
    local code = tointeger(tonumber(value))
    if not code then error("bad argument to 'ngx.status' (a number expected, got " .. type(value) .. ")", 2) end
    if n.sent then
      log_error("attempt to set ngx.status after sending out response headers")
      return
    end
    n.status, n.plain, n.used = code, false, true
  elseif name == "ctx" then
    if type(value) ~= "table" then error("ngx.ctx must be a table", 2) end
    local n = state("ngx.ctx")
    n.ctx, n.used = value, true
  else
    rawset(t, name, value)
  end
end

-- Puts the request API into `ngx` (luagw.ngx's table).
function M.install(ngx)
  ngx.var, ngx.header = M.var, M.header
  ngx.req = new_req()
  setmetatable(ngx, {
    __index = function(_, name)
      local get = FIELDS[name]
      if get then return get(state("ngx." .. name)) end
      return nil
    end,
    __newindex = set_field,
  })
end

return M
