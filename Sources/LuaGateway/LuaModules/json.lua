-- JSON for luagw.web.request and .response (SPEC 8), through Debian's lua-cjson (`require
-- "cjson"`, C, built for Lua 5.4): loaded on first use, with a clear error when it is absent.
local pcall, require, error = pcall, require, error

local M = {}
local cjson

local function codec()
  if cjson then return cjson end
  local ok, loaded = pcall(require, "cjson.safe")
  if not ok then
    error("luagw.web: JSON needs lua-cjson (Debian: apt-get install lua-cjson; or luarocks install lua-cjson)", 3)
  end
  cjson = loaded
  return cjson
end

-- The JSON text of `value`; nil and the error when it has no JSON form.
function M.encode(value)
  return codec().encode(value)
end

-- The value of JSON `text`; nil and the error when it is not JSON.
function M.decode(text)
  return codec().decode(text)
end

-- The value that stands for JSON's null.
function M.null()
  return codec().null
end

return M
