-- What a cosocket's `send` takes (SPEC 7, OpenResty's `ngx.socket.tcp` and `ngx.socket.udp`):
-- a string, a number, a boolean, or an array of strings and numbers (arrays nested in it too),
-- joined into one string; anything else is misuse (an error naming the caller's line).
local type, tostring, error, format, concat = type, tostring, error, string.format, table.concat

local function flatten(data, parts, depth)
  for i = 1, #data do
    local v = data[i]
    local t = type(v)
    if t == "table" then
      flatten(v, parts, depth + 1)
    elseif t == "string" or t == "number" then
      parts[#parts + 1] = v
    else
      error(format("bad data to 'send' (a %s in the array)", t), depth + 4)
    end
  end
  return parts
end

local M = {}

-- `data` as the bytes to send; called by a socket's `send`, whose caller an error names.
function M.bytes(data)
  local t = type(data)
  if t == "string" then return data end
  if t == "table" then return concat(flatten(data, {}, 0)) end
  if t == "number" or t == "boolean" then return tostring(data) end
  error(format("bad argument #1 to 'send' (string, number, boolean or array expected, got %s)", t), 3)
end

return M
