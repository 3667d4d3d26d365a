-- The reference of the differential tests (WSAPITests.swift): one request through Debian's
-- wsapi.mock, in this lua5.4 process.
--   lua5.4 mock_request.lua APP.lua METHOD PATH [NAME=VALUE ...]
-- NAME=VALUE arguments in upper case are CGI variables (HTTP_COOKIE=...); `body=FILE` and
-- `type=CONTENT_TYPE` give a POST its raw body; the others are parameters (the query of a
-- GET, the urlencoded form of a POST). Prints the status code, one "name: value" line per
-- header field (sorted; an array value as repeated fields), an empty line, and the body.
local mock = require "wsapi.mock"

local app_file, method, path = arg[1], arg[2], arg[3]
local params, headers, body_file, content_type = {}, {}, nil, nil
for i = 4, #arg do
  local name, value = arg[i]:match("^([^=]+)=(.*)$")
  if name == "body" then body_file = value
  elseif name == "type" then content_type = value
  elseif name:match("^[A-Z_]+$") then headers[name] = value
  else params[name] = value end
end

local app = dofile(app_file)
local handler = mock.make_handler(app)
local response
if method == "GET" then
  response = handler:get(path, params, headers)
else
  local body = params
  if body_file then
    local f = assert(io.open(body_file, "rb"))
    body = f:read("a")
    f:close()
    headers["Content-Type"], headers.CONTENT_TYPE = content_type, content_type
  end
  response = handler:post(path, body, headers)
end

local lines = {}
for name, value in pairs(response.headers or {}) do
  if type(value) == "table" then
    for _, v in ipairs(value) do lines[#lines + 1] = name .. ": " .. tostring(v) end
  else
    lines[#lines + 1] = name .. ": " .. tostring(value)
  end
end
table.sort(lines)
io.write(tostring(response.code):match("^%d+"), "\n", table.concat(lines, "\n"), #lines > 0 and "\n" or "", "\n",
  response.body or "")
