-- Debian's wsapi.request and wsapi.response: GET and POST parameters (urlencoded or
-- multipart, with a file), answered by response:finish().
local request = require "wsapi.request"
local response = require "wsapi.response"

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

return {
  run = function(wsapi_env)
    local req = request.new(wsapi_env)
    local res = response.new(200, { ["Content-Type"] = "text/plain" })
    res:write(req.method, " ", req.path_info, "\n")
    for _, k in ipairs(sorted_keys(req.GET)) do res:write("GET ", k, "=", req.GET[k], "\n") end
    for _, k in ipairs(sorted_keys(req.POST)) do
      local v = req.POST[k]
      if type(v) == "table" then
        res:write("FILE ", k, " ", v.name, " ", tostring(v.size), " ", v.contents, "\n")
      else
        res:write("POST ", k, "=", v, "\n")
      end
    end
    return res:finish()
  end,
}
