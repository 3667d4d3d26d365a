-- `luagw.test`: calls an application with a made-up request, as werkzeug's test client does,
-- and hands back what it answered.
--   local client = require("luagw.test").client(".")         -- a directory, a script, or an app
--   local res = client:get("/api/hello/Ada", { headers = { Accept = "text/plain" } })
--   res.status, res.headers["content-type"], res.body, res:json(), res.errors
--   client:post("/api/echo", { form = { name = "Ada" } })   -- or body = "...", json = value
-- environ is built as the server builds it, start_response is the server's (its checks raise the
-- same errors), the body is taken as the server takes it. An error of the application is raised.
-- A directory is served as `luagw serve DIR` serves it: public/ files, the script whose mount
-- is the longest that matches, wrapped by its folders' `_middleware.lua` files.
-- Also run_file(path): the application `luagw test` runs a test file as.
local C, need = ...
local type, error, pairs, ipairs, tostring, tonumber = type, error, pairs, ipairs, tostring, tonumber
local setmetatable, loadfile, pcall, rawget = setmetatable, loadfile, pcall, rawget
local sfind, ssub, gsub, lower, upper, format, byte, char = string.find, string.sub, string.gsub, string.lower,
  string.upper, string.format, string.byte, string.char
local concat, sort, tointeger = table.concat, table.sort, math.tointeger
local open = io.open

local new_start_response = need("start_response").new
local file_wrapper, is_file = need("file_wrapper").new, need("file_wrapper").is_file
local is_callable = need("scripts").is_callable
local run_request_end = need("request_end").run
local new_input, new_errors = need("input").new, need("errors").new
local close_body = need("driver").close_body
local json = need("json")

local M = {}

-- The luagw module for environ.luagw, where it loads (inside luagw; not in plain Lua).
local luagw_module
local function luagw()
  if luagw_module == nil then
    local ok, m = pcall(need, "luagw")
    luagw_module = ok and m or false
  end
  return luagw_module or nil
end

local WSGI_VERSION = setmetatable({}, { __index = { 1, 0 }, __len = function() return 2 end,
  __newindex = function() error("wsgi.version is read-only", 2) end })

local function encode(s)
  return (gsub(tostring(s), "[^%w%-%._~]", function(c) return format("%%%02X", byte(c)) end))
end

local function decode(s)
  return (gsub(s, "%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

-- `name=value&...` of a table (names sorted; an array value gives the name once per element).
local function urlencode(t)
  local names, parts = {}, {}
  for name in pairs(t) do names[#names + 1] = tostring(name) end
  sort(names)
  for _, name in ipairs(names) do
    local value = t[name]
    if type(value) ~= "table" then value = { value } end
    for _, v in ipairs(value) do parts[#parts + 1] = encode(name) .. "=" .. encode(v) end
  end
  return concat(parts, "&")
end

-- The request's header fields as pairs, from a map or an array of pairs.
local function header_pairs(headers)
  local list = {}
  if headers == nil then return list end
  if headers[1] ~= nil then
    for _, h in ipairs(headers) do list[#list + 1] = { h[1], tostring(h[2]) } end
  else
    local names = {}
    for name in pairs(headers) do names[#names + 1] = name end
    sort(names)
    for _, name in ipairs(names) do list[#list + 1] = { name, tostring(headers[name]) } end
  end
  return list
end

-- What the application writes on wsgi.errors is kept in `parts`, not logged.
local function keep_in(parts)
  return function(_, s) parts[#parts + 1] = s end
end
local function no_flush() end

-- environ for `method` and `target` ("/path?query") with `opts` (headers, body, form, json, query,
-- environ), as the server makes it, and the request's record (its wsgi.input, wsgi.errors, its
-- response head); the client's counter gives the request id.
local function make_environ(client, method, target, opts)
  local path, query = target:match("^([^?#]*)%??([^#]*)")
  if opts.query then query = (query ~= "" and query .. "&" or "") .. urlencode(opts.query) end
  local body, content_type = opts.body, nil
  if opts.form ~= nil then
    body, content_type = urlencode(opts.form), "application/x-www-form-urlencoded"
  elseif opts.json ~= nil then
    local err
    body, err = json.encode(opts.json)
    if not body then error("luagw.test: json: " .. tostring(err), 3) end
    content_type = "application/json"
  end
  if body ~= nil and type(body) ~= "string" then error("luagw.test: body must be a string", 3) end
  client.count = client.count + 1
  local id, r = "test-" .. client.count, { flags = 0, serial = 0 }
  local input = new_input(r)
  input.buf, input.done = body or "", true  -- the whole body is here: the server's reads never wait
  local errors = new_errors(id, nil, r)
  r.error_parts = {}
  errors.add, errors.flush = keep_in(r.error_parts), no_flush
  local environ = {
    REQUEST_METHOD = method, SCRIPT_NAME = "", PATH_INFO = decode(path), QUERY_STRING = query,
    REQUEST_URI = path .. (query ~= "" and "?" .. query or ""), SERVER_PROTOCOL = "HTTP/1.1",
    SERVER_SOFTWARE = "luagw/" .. C.version, GATEWAY_INTERFACE = "CGI/1.1",
    REMOTE_ADDR = "127.0.0.1", REMOTE_PORT = "50000", HTTP_HOST = "localhost",
    ["wsgi.version"] = WSGI_VERSION, ["wsgi.url_scheme"] = "http",
    ["wsgi.input"] = input, ["wsgi.errors"] = errors,
    ["wsgi.input_terminated"] = true, ["wsgi.multithread"] = false, ["wsgi.multiprocess"] = true,
    ["wsgi.run_once"] = false, ["wsgi.file_wrapper"] = file_wrapper,
    ["luagw.version"] = C.version, ["luagw.request_id"] = id, luagw = luagw(),
  }
  if body ~= nil then environ.CONTENT_LENGTH = tostring(#body) end
  environ.CONTENT_TYPE = content_type
  for _, h in ipairs(header_pairs(opts.headers)) do
    local name = upper(gsub(h[1], "-", "_"))
    if sfind(h[1], "_", 1, true) then  -- dropped by the server: it could pose as another header
    elseif name == "CONTENT_TYPE" or name == "CONTENT_LENGTH" then
      environ[name] = h[2]
    else
      local key, old = "HTTP_" .. name, environ["HTTP_" .. name]
      if old and key ~= "HTTP_HOST" then h[2] = old .. (key == "HTTP_COOKIE" and "; " or ", ") .. h[2] end
      environ[key] = h[2]
    end
  end
  environ.SERVER_NAME, environ.SERVER_PORT = environ.HTTP_HOST:match("^(.-):?(%d*)$")
  if environ.SERVER_PORT == "" then environ.SERVER_PORT = "80" end
  environ.DOCUMENT_ROOT, environ.SCRIPT_FILENAME = client.root, client.file
  for key, value in pairs(opts.environ or {}) do environ[key] = value end
  return environ, r
end

-- A response: status (a number), status_line, headers (any case; a repeated field's values in
-- an array), header_list (the pairs as given), body, errors (what wsgi.errors got).
local Response = {}
Response.__index = Response

function Response:json()
  return json.decode(self.body)
end

local HeaderMap = { __index = function(t, name)
  if type(name) == "string" then return rawget(t, lower(name)) end
end }

local function response(r, chunks, environ)
  local headers, list = setmetatable({}, HeaderMap), {}
  for name, value in (r.block or ""):gmatch("([^:\r\n]+): ([^\r\n]*)\r\n") do
    list[#list + 1] = { name, value }
    local key, old = lower(name), rawget(headers, lower(name))
    if old == nil then headers[key] = value
    elseif type(old) == "table" then old[#old + 1] = value
    else headers[key] = { old, value } end
  end
  local body = concat(chunks)
  local code = r.code
  if environ.REQUEST_METHOD == "HEAD" or code < 200 or code == 204 or code == 304 then body = "" end
  local errors = r.error_parts
  if r.length and #body > r.length then
    errors[#errors + 1] = format("luagw.test: the body has %d bytes, its Content-Length says %d: cut, as the server does\n",
      #body, r.length)
    body = ssub(body, 1, r.length)
  end
  return setmetatable({ status = code, status_line = r.line, headers = headers, header_list = list, body = body,
                        errors = concat(errors), environ = environ }, Response)
end

-- The body's chunks as the server takes them: a string, an array, an iterator, a file wrapper, nil
-- (a whole body may come before start_response; a streamed one may not).
local function take_body(r, body, chunks, send)
  local t = type(body)
  if t == "nil" then return end
  if t == "string" then
    chunks[#chunks + 1] = body
  elseif t == "table" and not is_callable(body) then
    for i = 1, #body do
      if type(body[i]) ~= "string" then error(format("body element %d is a %s; expected a string", i, type(body[i])), 0) end
    end
    chunks[#chunks + 1] = concat(body)
  elseif is_callable(body) then
    if is_file(body) and not r.code then error("the application returned a file before calling start_response", 0) end
    while true do
      local chunk = body()
      if chunk == nil then return end
      if type(chunk) ~= "string" then
        error(format("the body iterator returned a %s; expected a string, or nil at the end", type(chunk)), 0)
      end
      if #chunk > 0 then send(r, chunk) end
    end
  else
    error(format("the application returned a %s; expected a string, a table, a function or nil", t), 0)
  end
end

-- Runs `app` on `environ` (the request of record `r`); the response.
local function call(app, environ, r)
  local chunks = {}
  local function send(rec, data)
    if not rec.code then error("the application sent body data before calling start_response", 0) end
    rec.sent = true
    chunks[#chunks + 1] = data
  end
  local body = app(environ, new_start_response(r, send))
  local ok, err = pcall(take_body, r, body, chunks, send)
  close_body(body, environ["wsgi.errors"])
  local failed_cleanup = run_request_end()
  if failed_cleanup then environ["wsgi.errors"]:write("error at the end of the request: ", failed_cleanup, "\n") end
  if not ok then error(err, 0) end
  if not r.code then error("the application returned without calling start_response", 0) end
  return response(r, chunks, environ)
end

-- Runs the script `file` as luagw loads one: in a global environment of its own, its file as `...`.
local function run_script(file)
  local chunk, err = loadfile(file, "t", setmetatable({}, { __index = _G }))
  if not chunk then error(err, 0) end
  return chunk(file)
end

local function exists(file)
  local f = open(file, "rb")
  if f then f:close() end
  return f ~= nil
end

-- The application of a script: a WSAPI one is served as it is.
local function load_app(file)
  local app = run_script(file)
  local ok, wsapi = pcall(need, "luagw.wsapi")
  if ok and wsapi.is_app(app) then app = wsapi.app(app) end
  if not is_callable(app) then
    error(format("%s: the script returned a %s; expected the application", file, type(app)), 0)
  end
  return app
end

-- A directory served as luagw serve serves it; the scripts are loaded when first reached.
local function directory_app(root)
  local mounted, wrappers = {}, {}

  local function wrapped(relative, mount)
    local app = load_app(root .. "/" .. relative)
    local folders = {}
    for folder in relative:gmatch("([^/]+)/") do folders[#folders + 1] = folder end
    for depth = #folders, 0, -1 do  -- the innermost folder's middleware first
      local file = concat(folders, "/", 1, depth) .. (depth > 0 and "/" or "") .. "_middleware.lua"
      if exists(root .. "/" .. file) then
        local wrap = wrappers[file] or run_script(root .. "/" .. file)
        if not is_callable(wrap) then error(format("middleware %s: returned a %s; expected function(app, info)", file, type(wrap)), 0) end
        wrappers[file] = wrap
        app = wrap(app, { mount = mount ~= "" and mount or "/", path = root .. "/" .. relative })
      end
    end
    return app
  end

  -- The script mounted at `mount` ("" or "/a/b"), or nil: a.lua before a/index.lua.
  local function script(mount)
    if mounted[mount] == nil then
      local found = false
      for _, relative in ipairs(mount == "" and { "index.lua" } or { ssub(mount, 2) .. ".lua", ssub(mount, 2) .. "/index.lua" }) do
        if not found and exists(root .. "/" .. relative) and not sfind(mount, "/index$") then
          found = { app = wrapped(relative, mount), file = root .. "/" .. relative }
        end
      end
      mounted[mount] = found
    end
    return mounted[mount] or nil
  end

  local function scripts(environ, start_response)
    local path = environ.PATH_INFO
    local segments = {}
    for segment in path:gmatch("/([^/]*)") do segments[#segments + 1] = segment end
    local usable = 0  -- the leading segments that can name a script
    for _, segment in ipairs(segments) do
      if segment == "" or sfind(segment, "^[_.]") or (usable == 0 and segment == "public") then break end
      usable = usable + 1
    end
    for depth = usable, 0, -1 do
      local mount = depth > 0 and "/" .. concat(segments, "/", 1, depth) or ""
      local found = script(mount)
      if found then
        environ.SCRIPT_NAME, environ.PATH_INFO = mount, ssub(path, #mount + 1)
        environ.SCRIPT_FILENAME = found.file
        return found.app(environ, start_response)
      end
    end
    start_response("404 Not Found", { { "Content-Type", "text/plain" } })
    return "Not Found\n"
  end

  if not exists(root .. "/public") then return scripts end
  local files = need("luagw.web.static")(root .. "/public", scripts)
  return function(environ, start_response)
    local method = environ.REQUEST_METHOD
    if method == "GET" or method == "HEAD" then return files(environ, start_response) end
    return scripts(environ, start_response)
  end
end

local Client = {}
Client.__index = Client

-- Sends `method target` to the application; the response. `opts`: headers, body, form, json,
-- query, environ (keys set last).
function Client:request(method, target, opts)
  if type(target) ~= "string" or ssub(target, 1, 1) ~= "/" then
    error("luagw.test: the target is a path that starts with '/'", 2)
  end
  local environ, r = make_environ(self, method, target, opts or {})
  return call(self.app, environ, r)
end

for _, method in ipairs({ "get", "post", "put", "patch", "delete", "head", "options" }) do
  Client[method] = function(self, target, opts) return self:request(upper(method), target, opts) end
end

-- A client of `target`: an application, a script (served at /, as `luagw serve FILE.lua` does) or
-- a directory (as `luagw serve DIR` does).
function M.client(target)
  local client = setmetatable({ count = 0 }, Client)
  if is_callable(target) then
    client.app = target
  elseif type(target) == "string" and ssub(target, -4) == ".lua" then
    client.app, client.file = load_app(target), target
    client.root = target:match("^(.*)/") or "."
  elseif type(target) == "string" then
    local root = gsub(target, "/+$", "")
    if root == "" then root = target end
    client.app, client.root = directory_app(root), root
  else
    error("bad argument #1 to 'luagw.test.client' (an application, a script or a directory expected)", 2)
  end
  return client
end

-- A value as a message shows it: a string quoted, on one line.
local function show(v)
  if type(v) ~= "string" then return tostring(v) end
  return (gsub(format("%q", v), "\\\n", "\\n"))
end

-- Raises "what: expected E, got A" unless actual == expected.
function M.equal(actual, expected, what)
  if actual ~= expected then
    error(format("%s: expected %s, got %s", what or "value", show(expected), show(actual)), 2)
  end
end

-- The application `luagw test` runs a test file as: it runs the file and answers 200.
function M.run_file(path)
  return function(environ, start_response)
    local chunk, err = loadfile(path)
    if not chunk then error(err, 0) end
    chunk(path)
    start_response(200, { { "Content-Type", "text/plain" } })
    return ""
  end
end

return M
