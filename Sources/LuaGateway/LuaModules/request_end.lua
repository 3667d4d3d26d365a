-- Work for the end of the current request (driver.lua runs it, whatever way the request
-- ends): luagw.web.request removes the temporary files of uploads here.
local xpcall, traceback = xpcall, (...).traceback

local M = {}
local pending, n = {}, 0

-- Runs `fn()` when the current request ends.
function M.defer(fn)
  n = n + 1
  pending[n] = fn
end

-- Runs what was deferred, each in protected mode; the errors, or nil.
function M.run()
  local errors
  for i = 1, n do
    local fn = pending[i]
    pending[i] = nil
    local ok, err = xpcall(fn, traceback)
    if not ok then errors = (errors and errors .. "\n" or "") .. err end
  end
  n = 0
  return errors
end

return M
