-- GET /dashboard: talking to the world without blocking (SPEC 7), with no server but luagw.
-- It counts its visits in a dictionary every worker shares (luagw.shared), asks this same
-- server for /hello over HTTP (luagw.http: this request waits, the worker serves that one
-- meanwhile), and sleeps 100 ms (luagw.sleep: only this request waits).
local luagw = require "luagw"
local visits = luagw.shared.visits

return function(environ, start_response)
  local count = visits:incr("dashboard", 1, 0)
  local started = luagw.now()
  -- The address the client reached us at (Host), so the example runs on any --bind.
  local url = ("http://%s:%s/hello"):format(environ.SERVER_NAME, environ.SERVER_PORT)
  local res, err = luagw.http.request(url, { timeout = 5 })
  luagw.sleep(0.1)
  local waited = (luagw.now() - started) * 1000
  start_response(200, { {"Content-Type", "text/plain; charset=utf-8"} })
  return {
    ("visits: %d\n"):format(count),
    res and ("/hello said: %s"):format(res.body) or ("/hello failed: %s\n"):format(err),
    ("waited %.0f ms for it and a sleep, the worker free all along\n"):format(waited),
  }
end
