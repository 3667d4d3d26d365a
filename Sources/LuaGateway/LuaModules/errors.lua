-- `wsgi.errors` (SPEC 2): whole lines go to the error log, tagged with the request id and mount;
-- a partial line waits for its end, for `flush`, or for the end of the request.
local C = ...
local log = C.log
local type, error, setmetatable = type, error, setmetatable
local sfind, ssub, format = string.find, string.sub, string.format

local Errors = {}
Errors.__index = Errors

function Errors:write(s)
  if type(s) ~= "string" and type(s) ~= "number" then
    error(format("bad argument to 'write' (string expected, got %s)", type(s)), 2)
  end
  local text = self.pending .. s
  local start = 1
  while true do
    local i = sfind(text, "\n", start, true)
    if not i then break end
    log(self.id, ssub(text, start, i - 1), self.mount)
    start = i + 1
  end
  self.pending = ssub(text, start)
end

function Errors:writelines(lines)
  for i = 1, #lines do self:write(lines[i]) end
end

function Errors:flush()
  if self.pending ~= "" then
    log(self.id, self.pending, self.mount)
    self.pending = ""
  end
end

-- A state serves one request at a time: it has one errors object, reset for each request.
local errors = setmetatable({}, Errors)

local M = {}

-- The errors object of request `request_id` to the script mounted at `mount`.
function M.new(request_id, mount)
  errors.id, errors.mount, errors.pending = request_id, mount, ""
  return errors
end

-- The running request's errors object (ngx.log writes there).
function M.current()
  return errors
end

return M
