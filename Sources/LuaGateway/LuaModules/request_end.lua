-- Work for the end of the running request (driver.lua runs it, whatever way the request
-- ends): luagw.web.request removes the temporary files of uploads here. Kept in the request's
-- record (a state runs many requests at once).
local C = ...
local xpcall, traceback, current = xpcall, C.traceback, C.current

local M = {}

-- Runs `fn()` when the running request ends.
function M.defer(fn)
  local r = current()
  local pending = r.deferred
  if not pending then
    pending = {}
    r.deferred = pending
  end
  pending[#pending + 1] = fn
end

-- Runs what the running request (its record `r`, or C.current()'s) deferred, each in protected
-- mode; the errors, or nil.
function M.run(r)
  r = r or current()
  local pending = r and r.deferred
  if not pending or #pending == 0 then return nil end
  local errors
  for i = 1, #pending do
    local fn = pending[i]
    pending[i] = nil
    local ok, err = xpcall(fn, traceback)
    if not ok then errors = (errors and errors .. "\n" or "") .. err end
  end
  return errors
end

return M
