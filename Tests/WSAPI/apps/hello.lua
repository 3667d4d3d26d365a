-- The smallest WSAPI application: a table with run; the body an iterator (a coroutine).
local M = {}

function M.run(wsapi_env)
  local function body()
    coroutine.yield("Hello from WSAPI!\n")
  end
  return 200, { ["Content-Type"] = "text/plain" }, coroutine.wrap(body)
end

return M
