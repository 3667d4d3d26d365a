-- bench/tls: each request fetches a small response from a local upstream (nginx) with
-- luagw.http.request, kept alive per worker: /upstream over http:, /upstream?https over https:
-- (verified against the throwaway certificate given with --ca-file).
local luagw = require "luagw"
local http = "http://127.0.0.1:" .. os.getenv("BENCH_UPSTREAM_HTTP") .. "/"
local https = "https://127.0.0.1:" .. os.getenv("BENCH_UPSTREAM_HTTPS") .. "/"

return function(environ, start_response)
  local res, err = luagw.http.request(environ.QUERY_STRING == "https" and https or http)
  if not res then
    start_response("502 Bad Gateway", { {"Content-Type", "text/plain"} })
    return tostring(err)
  end
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return res.body
end
