-- `wsgi.file_wrapper(path [, blksize])` (SPEC 1.1): a body that the server streams from
-- the file itself. It is also an iterator over blocks of `blksize` bytes, which the
-- driver uses when the response head is already on the wire.
local type, error, setmetatable, getmetatable = type, error, setmetatable, getmetatable
local format, tointeger, open = string.format, math.tointeger, io.open

local FileBody = {}
FileBody.__index = FileBody

function FileBody:__call()
  local chunk = self.file:read(self.blksize)
  if chunk == nil then self:close() end
  return chunk
end

function FileBody:close()
  if self.file then self.file:close(); self.file = nil end
end

local M = {}

function M.new(path, blksize)
  if type(path) ~= "string" then
    error(format("wsgi.file_wrapper: expected a path, got %s", type(path)), 2)
  end
  local file, err = open(path, "rb")
  if not file then error("wsgi.file_wrapper: " .. err, 2) end
  local size = file:seek("end")
  file:seek("set")
  return setmetatable({ path = path, file = file, size = size, blksize = tointeger(blksize) or 65536 }, FileBody)
end

-- Whether `body` is a file wrapper's.
function M.is_file(body)
  return getmetatable(body) == FileBody
end

return M
