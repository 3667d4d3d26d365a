-- `wsgi.errors` (SPEC 2): whole lines go to the error log, tagged with the request id and mount;
-- a partial line waits for its end, for `flush`, or for the end of the request.
local C, need = ...
local log, current = C.log, C.current
local object = need("request").object
local type, error, select = type, error, select
local sfind, ssub, format = string.find, string.sub, string.format

local Errors = {}
Errors.__index = Errors

-- write(...): each argument a string or a number, as file:write takes them.
function Errors:write(...)
  for i = 1, select("#", ...) do
    local s = select(i, ...)
    if type(s) ~= "string" and type(s) ~= "number" then
      error(format("bad argument #%d to 'write' (string expected, got %s)", i, type(s)), 2)
    end
    self:add(s)
  end
end

function Errors:add(s)
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

local M = {}

-- The errors object of the running request (its record `r`, or C.current()'s), `request_id`, to
-- the script mounted at `mount`:
-- one per request coroutine (a state runs many requests at once), reset for each request. (A
-- light thread's coroutine borrows its request's as `errors`; its own stays `own_errors`.)
function M.new(request_id, mount, r)
  r = r or current()
  local errors = r.own_errors or object("own_errors", Errors, r)
  r.errors = errors
  errors.id, errors.mount, errors.pending = request_id, mount, ""
  return errors
end

-- The running request's errors object (ngx.log writes there); a timer's is tagged "timer".
function M.current()
  local r = current()
  return r and r.errors or M.new("timer", "")
end

return M
