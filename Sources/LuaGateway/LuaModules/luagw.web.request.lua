-- `luagw.web.request(environ)` (SPEC 8): the request seen through helpers, as WebOb's Request.
--   req.method, req.path (SCRIPT_NAME .. PATH_INFO), req.query, req.form, req.params (first
--   value of each name; params: query first, then form), req:all(name) (every value), req.cookies,
--   req.headers (any case: req.headers["content-type"]), req.files (multipart uploads, each
--   { filename, type, size, path }: streamed to temporary files, removed when the request ends),
--   req:json() (the body as JSON; nil and the error when it is not), req:body() (the body).
-- The body is read when first needed (form, params, files, json, body), once.
local C, need = ...
local json = need("json")
local defer = need("request_end").defer
local type, error, rawget, tonumber, setmetatable, ipairs, pairs, next = type, error, rawget, tonumber, setmetatable, ipairs, pairs, next
local sfind, ssub, gsub, gmatch, smatch, lower, upper, char = string.find, string.sub, string.gsub, string.gmatch,
  string.match, string.lower, string.upper, string.char
local concat = table.concat
local open, tmpname, remove = io.open, os.tmpname, os.remove

-- Bytes of a multipart field that is no file, at most (a larger one is a bad request).
local FIELD_LIMIT = 1 << 20
local CHUNK = 1 << 16

local function unescape(s)
  s = gsub(s, "+", " ")
  return (gsub(s, "%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

-- Adds the pairs of an urlencoded string to `values` (name → list of values, in order).
local function parse_urlencoded(s, values)
  for pair in gmatch(s or "", "[^&;]+") do
    local eq = sfind(pair, "=", 1, true)
    local name, value = unescape(eq and ssub(pair, 1, eq - 1) or pair), eq and unescape(ssub(pair, eq + 1)) or ""
    local list = values[name]
    if list then list[#list + 1] = value else values[name] = { value } end
  end
  return values
end

local function firsts(values)
  local t = {}
  for name, list in pairs(values) do t[name] = list[1] end
  return t
end

-- A header's parameter (`boundary`, `name`, `filename`), quoted or not.
local function parameter(header, key)
  local quoted = smatch(header, ";%s*" .. key .. "%s*=%s*\"(.-)\"")
  return quoted or smatch(header, ";%s*" .. key .. "%s*=%s*([^;%s]+)")
end

-- Reads a multipart/form-data body from `input`: its fields into `values`, its files into
-- `files` (name → list of files). Raises on a malformed body.
local function parse_multipart(input, boundary, values, files)
  local delimiter = "\r\n--" .. boundary
  local buf = "\r\n"  -- so that the first delimiter looks like every other
  local function fill()
    local data = input:read(CHUNK)
    if data == nil or data == "" then error("bad request body: the multipart body ends too soon", 0) end
    buf = buf .. data
  end
  -- Up to the first delimiter's line end.
  while not sfind(buf, delimiter, 1, true) do fill() end
  local at = sfind(buf, delimiter, 1, true)
  buf = ssub(buf, at + #delimiter)
  while true do
    while #buf < 2 do fill() end
    if ssub(buf, 1, 2) == "--" then return end  -- the closing delimiter
    while not sfind(buf, "\r\n\r\n", 1, true) do
      if #buf > 16384 then error("bad request body: a multipart part's head is too long", 0) end
      fill()
    end
    local head_end = sfind(buf, "\r\n\r\n", 1, true)
    local raw_head = ssub(buf, 1, head_end)
    local head = lower(raw_head)
    buf = ssub(buf, head_end + 4)
    local from, to = sfind(head, "content%-disposition:[^\r\n]*")
    if not from then error("bad request body: a multipart part without Content-Disposition", 0) end
    local disposition = ssub(raw_head, from, to)
    local name = parameter(disposition, "name") or ""
    local filename = parameter(disposition, "filename")
    local part_type = smatch(head, "content%-type:%s*([^\r\n]*)")
    local sink, size, parts = nil, 0, {}
    local file
    if filename then
      file = { filename = filename, type = part_type or "application/octet-stream", size = 0, path = tmpname() }
      sink = open(file.path, "wb")
      if not sink then error("cannot write a temporary file for an upload", 0) end
      local path = file.path
      defer(function() remove(path) end)
    end
    local function emit(data)
      if data == "" then return end
      size = size + #data
      if sink then
        sink:write(data)
      else
        if size > FIELD_LIMIT then error("bad request body: a multipart field is larger than 1 MiB", 0) end
        parts[#parts + 1] = data
      end
    end
    while true do
      local i = sfind(buf, delimiter, 1, true)
      if i then
        emit(ssub(buf, 1, i - 1))
        buf = ssub(buf, i + #delimiter)
        break
      end
      local keep = #delimiter  -- a delimiter may start in the last bytes
      if #buf > keep then
        emit(ssub(buf, 1, #buf - keep))
        buf = ssub(buf, #buf - keep + 1)
      end
      fill()
    end
    if file then
      sink:close()
      file.size = size
      local list = files[name]
      if list then list[#list + 1] = file else files[name] = { file } end
    else
      local list = values[name]
      local value = concat(parts)
      if list then list[#list + 1] = value else values[name] = { value } end
    end
  end
end

local Request = {}

-- Reads and parses the body once: form values, files, or the raw body.
local function load_body(self)
  if rawget(self, "_form") then return end
  local environ = self.environ
  local content_type = lower(environ.CONTENT_TYPE or "")
  local form, files = {}, {}
  local input = environ["wsgi.input"]
  if sfind(content_type, "^multipart/form%-data") then
    local boundary = parameter(environ.CONTENT_TYPE, "boundary")
    if not boundary then error("bad request body: multipart/form-data without a boundary", 0) end
    parse_multipart(input, boundary, form, files)
  elseif sfind(content_type, "^application/x%-www%-form%-urlencoded") then
    -- Kept as it came too: `curl -d '{...}'` labels JSON a form, and req:json() still reads it.
    self._raw = input:read()
    parse_urlencoded(self._raw, form)
  else
    self._body = input:read()
  end
  self._form, self._files = form, files
end

local function query_values(self)
  local values = rawget(self, "_query")
  if not values then
    values = parse_urlencoded(self.environ.QUERY_STRING, {})
    self._query = values
  end
  return values
end

local function parse_cookies(header)
  local cookies = {}
  for pair in gmatch(header or "", "[^;]+") do
    local name, value = smatch(pair, "^%s*([^=]-)%s*=%s*(.-)%s*$")
    if name and name ~= "" and cookies[name] == nil then
      cookies[name] = smatch(value, '^"(.*)"$') or value
    end
  end
  return cookies
end

-- Headers by any case: "Content-Type", "content-type" and "CONTENT_TYPE" are one.
local function headers_of(environ)
  return setmetatable({}, { __index = function(_, name)
    local key = upper(gsub(name, "%-", "_"))
    if key == "CONTENT_TYPE" or key == "CONTENT_LENGTH" then return environ[key] end
    return environ["HTTP_" .. key]
  end })
end

local properties = {
  method = function(self) return self.environ.REQUEST_METHOD end,
  path = function(self) return (self.environ.SCRIPT_NAME or "") .. (self.environ.PATH_INFO or "") end,
  query = function(self) return firsts(query_values(self)) end,
  form = function(self) load_body(self); return firsts(self._form) end,
  files = function(self)
    load_body(self)
    return firsts(self._files)
  end,
  params = function(self)
    load_body(self)
    local params = firsts(self._form)
    for name, list in pairs(query_values(self)) do params[name] = list[1] end
    return params
  end,
  cookies = function(self) return parse_cookies(self.environ.HTTP_COOKIE) end,
  headers = function(self) return headers_of(self.environ) end,
}

Request.__index = function(self, key)
  local method = Request[key]
  if method then return method end
  local property = properties[key]
  if not property then return nil end
  local value = property(self)
  self[key] = value  -- computed once
  return value
end

-- Every value of `name`: the query's first, then the form's.
function Request:all(name)
  load_body(self)
  local out = {}
  for _, v in ipairs(query_values(self)[name] or {}) do out[#out + 1] = v end
  for _, v in ipairs(self._form[name] or {}) do out[#out + 1] = v end
  return out
end

-- The body as it came (empty for a form, which is parsed instead).
function Request:body()
  load_body(self)
  return self._body or ""
end

-- The body as JSON, whatever its Content-Type says (curl -d sends JSON labelled as a form): the
-- value, or nil and the error.
function Request:json()
  load_body(self)
  local body = self._body or self._raw or ""
  if body == "" then
    if next(self._files) then return nil, "the body is multipart/form-data, not JSON" end
    return nil, "no body"
  end
  return json.decode(body)
end

local function new(environ)
  if type(environ) ~= "table" then error("bad argument #1 to 'luagw.web.request' (environ expected)", 2) end
  return setmetatable({ environ = environ }, Request)
end

return setmetatable({ new = new, parse_urlencoded = parse_urlencoded, parse_cookies = parse_cookies },
                    { __call = function(_, environ) return new(environ) end })
