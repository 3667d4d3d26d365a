-- wsapi.response's redirect: 302 with Location and an empty body.
local response = require "wsapi.response"

return {
  run = function(wsapi_env)
    return response.new():redirect("/elsewhere?from=" .. wsapi_env.PATH_INFO)
  end,
}
