-- `luagw.web.response{ status, headers, body }` (SPEC 8): a response that is itself an
-- application, as WebOb's Response.
--   local res = response{ status = 200, headers = { { "Content-Type", "text/html" } }, body = "..." }
--   res:header("X-One", "1")                       -- adds a field
--   res:set_cookie("sid", "v", { path = "/", max_age = 3600, http_only = true, secure = true,
--                                same_site = "Lax", domain = "example.com", expires = os.time() + 60 })
--   res:delete_cookie("sid", { path = "/" })
--   return res                                     -- from an application: it is one
--   response.redirect("/next" [, 302]), response.json(value [, 200])
-- status: a number (start_response adds its reason phrase) or a whole status line. body: what an application
-- returns (a string, an array of strings, an iterator).
local C, need = ...
local json = need("json")
local type, error, tostring, setmetatable, pairs, ipairs = type, error, tostring, setmetatable, pairs, ipairs
local sfind, format, date = string.find, string.format, os.date
local tointeger, concat = math.tointeger, table.concat

-- The status as start_response takes it: a number (start_response adds the reason phrase) or a line.
local function status_line(status)
  local code = tointeger(status)
  if code then return code end
  if type(status) == "string" and sfind(status, "^%d%d%d ") then return status end
  error(format("luagw.web.response: a status code or line expected, got %s", tostring(status)), 3)
end

-- A cookie's name or value may hold none of what would end or split it.
local function check_cookie_part(s, what)
  s = tostring(s)
  if sfind(s, "[%z\1-\31\127;,%s]") then
    error(format("luagw.web.response: the cookie %s %q holds a character a cookie cannot", what, s), 3)
  end
  return s
end

local Response = {}
Response.__index = Response

local function new(fields)
  fields = fields or {}
  local headers = {}
  for i, h in ipairs(fields.headers or {}) do headers[i] = { h[1], h[2] } end
  if type(fields.headers) == "table" and #fields.headers == 0 then  -- a map { ["Content-Type"] = ... }
    for name, value in pairs(fields.headers) do headers[#headers + 1] = { name, value } end
  end
  return setmetatable({ status = fields.status or 200, headers = headers, body = fields.body or "" }, Response)
end

-- Adds a header field; returns the response.
function Response:header(name, value)
  self.headers[#self.headers + 1] = { name, tostring(value) }
  return self
end

-- The first value of header `name` (any case), or nil.
function Response:get_header(name)
  local wanted = name:lower()
  for _, h in ipairs(self.headers) do
    if h[1]:lower() == wanted then return h[2] end
  end
  return nil
end

function Response:set_cookie(name, value, opts)
  opts = opts or {}
  local parts = { check_cookie_part(name, "name") .. "=" .. check_cookie_part(value or "", "value") }
  if opts.path then parts[#parts + 1] = "Path=" .. opts.path end
  if opts.domain then parts[#parts + 1] = "Domain=" .. opts.domain end
  if opts.max_age then parts[#parts + 1] = format("Max-Age=%d", opts.max_age) end
  if opts.expires then parts[#parts + 1] = "Expires=" .. date("!%a, %d %b %Y %H:%M:%S GMT", opts.expires) end
  if opts.secure then parts[#parts + 1] = "Secure" end
  if opts.http_only then parts[#parts + 1] = "HttpOnly" end
  if opts.same_site then parts[#parts + 1] = "SameSite=" .. opts.same_site end
  return self:header("Set-Cookie", concat(parts, "; "))
end

-- Asks the client to forget a cookie (same path and domain as it was set with).
function Response:delete_cookie(name, opts)
  opts = opts or {}
  return self:set_cookie(name, "", { path = opts.path, domain = opts.domain, max_age = 0, expires = 0 })
end

-- The response as an application.
function Response:__call(environ, start_response)
  start_response(status_line(self.status), self.headers)
  return self.body
end

local M = setmetatable({ new = new }, { __call = function(_, fields) return new(fields) end })

-- A redirect to `location` (302 unless told).
function M.redirect(location, status)
  return new{ status = status or 302, headers = { { "Location", location }, { "Content-Type", "text/plain" } },
              body = "" }
end

-- `value` as a JSON response (200 unless told).
function M.json(value, status)
  local text, err = json.encode(value)
  if not text then error("luagw.web.response.json: " .. tostring(err), 2) end
  return new{ status = status or 200, headers = { { "Content-Type", "application/json" } }, body = text }
end

return M
