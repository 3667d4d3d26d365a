-- The running request's record (SPEC 4): the table its coroutine is anchored in, one per
-- coroutine, reused by the requests it runs one after another (C.current() while it runs; the
-- driver is handed it). A state runs many requests at once, so what belongs to one request (its
-- wsgi.input, its wsgi.errors, what runs at its end) is kept there, never in a module.
local C = ...
local current, setmetatable = C.current, setmetatable

local M = {}

-- Notes that record `r` (or the running request's) serves a new request (or timer run, or light
-- thread): its `serial` tells this request from the ones its coroutine ran before.
function M.begin(r)
  r = r or current()
  r.serial = r.serial + 1  -- a record starts at 0 (run.c)
  return r
end

-- The object of class `class` kept in record `r` (or the running request's) under `key`,
-- made the first time; the caller resets it for each request.
function M.object(key, class, r)
  r = r or current()
  local object = r[key]
  if not object then
    object = setmetatable({}, class)
    r[key] = object
  end
  return object
end

return M
