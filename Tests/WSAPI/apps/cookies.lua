-- Cookies both ways: req.cookies reads Cookie, response:set_cookie twice makes two
-- Set-Cookie fields (an array value in the header map), delete_cookie a third.
local request = require "wsapi.request"
local response = require "wsapi.response"

return {
  run = function(wsapi_env)
    local req = request.new(wsapi_env)
    local res = response.new(200, { ["Content-Type"] = "text/plain" })
    res:set_cookie("visits", { value = tostring((tonumber(req.cookies.visits) or 0) + 1), path = "/" })
    res:set_cookie("flavour", "oatmeal raisin")
    res:delete_cookie("old", "/")
    res:write("visits before: ", req.cookies.visits or "none", "\n")
    return res:finish()
  end,
}
