-- An error that already carries its traceback: an adapter that catches errors to look at them
-- (luagw.wsapi, for `error({code, message})`) raises the others again through `raise`, and
-- the driver's message handler (`message`) keeps the traceback taken where the error was
-- raised instead of adding one of the place it was raised again.
local C = ...
local traceback = C.traceback
local error, getmetatable, setmetatable = error, getmetatable, setmetatable

local TRACED = {}

local M = {}

-- Raises `message` (an error and its traceback) again, as it is.
function M.raise(message)
  error(setmetatable({ message }, TRACED), 0)
end

-- The message handler of a protected call: the traceback of a raised-again error is its own.
function M.message(e)
  if getmetatable(e) == TRACED then return e[1] end
  return traceback(e, 2)  -- from the caller of this handler: its own frame is not in the traceback
end

return M
