-- `luagw.web.proxy{ upstreams = { "http://127.0.0.1:9001", ... }, balance, timeout, retries,
-- check_after, ssl_verify }` (SPEC 8): an application that forwards each request to one of
-- several upstream HTTP servers through luagw.http (SPEC 7: the worker's keep-alive
-- connections), streaming both ways, as nginx's proxy_pass with an upstream block.
--   balance       "round_robin" (default) or "least_conn" (fewest requests in flight)
--   timeout       seconds to wait for an upstream (connect, send, each read); --socket-timeout
--   retries       other upstreams tried after one fails to answer (1), for idempotent methods
--                 whose body was not sent yet
--   check_after   seconds an upstream that failed is left out before it is tried again (10)
--   ssl_verify    false: an https:// upstream's certificate is not verified (SPEC 11; true)
-- An https:// upstream is reached over TLS (luagw.http: SNI and the verified name are the URL's
-- host, the authorities the system's plus --ca-file), its connections pooled encrypted.
-- The upstream sees PATH_INFO (escaped again) and the query, after the upstream URL's own path;
-- Host is the upstream's, the client's goes in X-Forwarded-Host, with X-Forwarded-For (the
-- client added) and X-Forwarded-Proto. Hop-by-hop fields (and those Connection names) are
-- dropped both ways. Each upstream that fails is logged on wsgi.errors with the reason (a
-- refused connection, a failed verification). No upstream answers: 502; the chosen one times
-- out: 504. The balancer's counts are in luagw.shared (`luagw.proxy`): every state and worker
-- of the process shares them.
local C, need = ...
local http = need("luagw.http")
local shared = need("shared")
local defer = need("request_end").defer
local type, error, tostring, tonumber, ipairs, pairs, setmetatable = type, error, tostring, tonumber, ipairs, pairs,
  setmetatable
local ssub, gsub, lower, upper, smatch, gmatch, format, byte = string.sub, string.gsub, string.lower, string.upper,
  string.match, string.gmatch, string.format, string.byte
local concat = table.concat
local tointeger = math.tointeger

-- The fields a proxy never forwards: the server's hop-by-hop set (start_response.lua) and the
-- credentials meant for this proxy.
local HOP_BY_HOP = setmetatable({ ["proxy-authenticate"] = true, ["proxy-authorization"] = true },
                                { __index = need("start_response").hop_by_hop })
local IDEMPOTENT = { GET = true, HEAD = true, PUT = true, DELETE = true, OPTIONS = true, TRACE = true }
local CHUNK = 65536

-- The hop-by-hop names of a message: the fixed ones and those its Connection field lists.
local function hop_by_hop(connection)
  local names = setmetatable({}, { __index = HOP_BY_HOP })
  for token in gmatch(lower(connection or ""), "[^,%s]+") do names[token] = true end
  return names
end

-- "HTTP_X_FORWARDED_FOR" → "X-Forwarded-For".
local function field_name(key)
  return (gsub(lower(ssub(key, 6)), "_?(%w+)", function(word) return "-" .. upper(ssub(word, 1, 1)) .. ssub(word, 2) end)):sub(2)
end

local function escape_path(path)
  return (gsub(path, "[^%w%-%._~!$&'()*+,;=:@/]", function(c) return format("%%%02X", byte(c)) end))
end

-- The request head for the upstream, as {name, value} pairs.
local function upstream_headers(environ, has_streamed_body)
  local drop = hop_by_hop(environ.HTTP_CONNECTION)
  local headers = {}
  for key, value in pairs(environ) do
    if type(key) == "string" and ssub(key, 1, 5) == "HTTP_" and type(value) == "string" then
      local name = field_name(key)
      local lname = lower(name)
      if not drop[lname] and lname ~= "host" and lname ~= "x-forwarded-for" and lname ~= "x-forwarded-proto"
        and lname ~= "x-forwarded-host" then
        headers[#headers + 1] = { name, value }
      end
    end
  end
  if environ.CONTENT_TYPE and environ.CONTENT_TYPE ~= "" then headers[#headers + 1] = { "Content-Type", environ.CONTENT_TYPE } end
  if not has_streamed_body and environ.CONTENT_LENGTH and environ.CONTENT_LENGTH ~= "" then
    headers[#headers + 1] = { "Content-Length", environ.CONTENT_LENGTH }
  end
  local client = environ.REMOTE_ADDR or ""
  local forwarded = environ.HTTP_X_FORWARDED_FOR
  headers[#headers + 1] = { "X-Forwarded-For", forwarded and forwarded ~= "" and forwarded .. ", " .. client or client }
  headers[#headers + 1] = { "X-Forwarded-Proto", environ["wsgi.url_scheme"] or "http" }
  if environ.HTTP_HOST then headers[#headers + 1] = { "X-Forwarded-Host", environ.HTTP_HOST } end
  return headers
end

-- The response head for the client, from luagw.http's lowercase map.
local function client_headers(res_headers)
  local drop = hop_by_hop(type(res_headers.connection) == "string" and res_headers.connection or nil)
  local out = {}
  for name, value in pairs(res_headers) do
    if not drop[name] then
      if type(value) == "table" then
        for _, v in ipairs(value) do out[#out + 1] = { name, v } end
      else
        out[#out + 1] = { name, value }
      end
    end
  end
  return out
end

local function answer(start_response, status, text)
  start_response(status, { { "Content-Type", "text/plain" } })
  return text .. "\n"
end

-- One upstream's failure, on the request's error log: which one and why.
local function log(environ, url, err)
  local errors = environ["wsgi.errors"]
  if errors then errors:write(format("luagw.web.proxy: upstream %s failed: %s\n", url, tostring(err))) end
end

local function new(opts)
  if type(opts) ~= "table" or type(opts.upstreams) ~= "table" or #opts.upstreams == 0 then
    error("bad argument #1 to 'luagw.web.proxy' ({ upstreams = { \"http://host:port\", ... } } expected)", 2)
  end
  local upstreams = {}
  for i, url in ipairs(opts.upstreams) do
    if type(url) ~= "string" or not smatch(url, "^https?://[^/]+") then
      error(format("luagw.web.proxy: upstream %d is not an http:// or https:// URL: %s", i, tostring(url)), 2)
    end
    upstreams[i] = gsub(url, "/$", "")
  end
  local balance = opts.balance or "round_robin"
  if balance ~= "round_robin" and balance ~= "least_conn" then
    error("luagw.web.proxy: balance is \"round_robin\" or \"least_conn\"", 2)
  end
  local timeout = opts.timeout
  local retries = tointeger(opts.retries) or 1
  local check_after = opts.check_after or 10
  if opts.ssl_verify ~= nil and type(opts.ssl_verify) ~= "boolean" then
    error("luagw.web.proxy: ssl_verify is true or false", 2)
  end
  local ssl_verify = opts.ssl_verify ~= false
  local counts = shared["luagw.proxy"]
  local id = concat(upstreams, " ")

  -- The upstreams in the order to try them: those not left out first, by the balance rule.
  local function order()
    local start = (counts:incr(id .. " next", 1, 0) or 1) - 1
    local live, down = {}, {}
    for k = 1, #upstreams do
      local url = upstreams[(start + k - 1) % #upstreams + 1]
      if counts:get(id .. " down " .. url) then down[#down + 1] = url else live[#live + 1] = url end
    end
    if balance == "least_conn" then
      local busy = {}
      for _, url in ipairs(live) do busy[url] = counts:get(id .. " busy " .. url) or 0 end
      table.sort(live, function(a, b) return busy[a] < busy[b] end)
    end
    for _, url in ipairs(down) do live[#live + 1] = url end  -- all down: try them anyway
    return live
  end

  return function(environ, start_response)
    local method = environ.REQUEST_METHOD
    local input = environ["wsgi.input"]
    local length = tointeger(tonumber(environ.CONTENT_LENGTH or ""))
    local has_body = (length and length > 0) or (length == nil and environ.HTTP_TRANSFER_ENCODING ~= nil)
    local body_started = false
    local body = has_body and function()
      body_started = true
      local data = input:read(CHUNK)
      if data == "" then return nil end
      return data
    end or nil
    local headers = upstream_headers(environ, body ~= nil and length == nil)
    local target = escape_path(environ.PATH_INFO or "/")
    if target == "" then target = "/" end
    if environ.QUERY_STRING and environ.QUERY_STRING ~= "" then target = target .. "?" .. environ.QUERY_STRING end
    local tries = order()
    local last_err
    for k, url in ipairs(tries) do
      if k > retries + 1 or (k > 1 and (not IDEMPOTENT[method] or body_started)) then break end
      local busy = id .. " busy " .. url
      counts:incr(busy, 1, 0)
      local done = false
      local function finished()
        if not done then done = true; counts:incr(busy, -1, 0) end
      end
      defer(finished)
      local res, err = http.request(url .. target, { method = method, headers = headers, body = body,
                                                      timeout = timeout, stream = true, ssl_verify = ssl_verify })
      if res then
        local out = client_headers(res.headers)
        start_response(format("%d %s", res.status, res.reason or ""), out)
        return setmetatable({ close = function() finished(); res:close() end }, {
          __call = function()
            local data = res:read(CHUNK)
            if data == nil then finished() end
            return data
          end,
        })
      end
      finished()
      last_err = err
      log(environ, url, err)
      if err == "timeout" then
        counts:set(id .. " down " .. url, true, check_after)
        return answer(start_response, "504 Gateway Timeout", "Gateway Timeout: " .. url .. " did not answer in time")
      end
      counts:set(id .. " down " .. url, true, check_after)
    end
    return answer(start_response, "502 Bad Gateway", "Bad Gateway: no upstream answered (" .. tostring(last_err) .. ")")
  end
end

return setmetatable({ new = new }, { __call = function(_, ...) return new(...) end })
