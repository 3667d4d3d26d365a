-- `wsgi.file_wrapper(path [, blksize])` (SPEC 1.1): a body that the server streams from
-- the file itself. It is also an iterator over blocks of `blksize` bytes, which the
-- driver uses when the response head is already on the wire. luagw.web.static asks for
-- a part of the file (`offset`, `size`: a Range request's bytes).
local type, error, setmetatable, getmetatable = type, error, setmetatable, getmetatable
local format, tointeger, open, min = string.format, math.tointeger, io.open, math.min

local FileBody = {}
FileBody.__index = FileBody

function FileBody:__call()
  if self.left <= 0 then self:close(); return nil end
  local chunk = self.file and self.file:read(min(self.blksize, self.left))
  if chunk == nil then self:close(); return nil end
  self.left = self.left - #chunk
  return chunk
end

function FileBody:close()
  if self.file then self.file:close(); self.file = nil end
end

local M = {}

-- The body of `path` (all of it, or `size` bytes from `offset`).
function M.new(path, blksize, offset, size)
  if type(path) ~= "string" then
    error(format("wsgi.file_wrapper: expected a path, got %s", type(path)), 2)
  end
  local file, err = open(path, "rb")
  if not file then error("wsgi.file_wrapper: " .. err, 2) end
  offset = tointeger(offset) or 0
  local length = file:seek("end")
  size = tointeger(size) or length - offset
  file:seek("set", offset)
  return setmetatable({ path = path, file = file, offset = offset, size = size, left = size,
                        blksize = tointeger(blksize) or 65536 }, FileBody)
end

-- Whether `body` is a file wrapper's.
function M.is_file(body)
  return getmetatable(body) == FileBody
end

return M
