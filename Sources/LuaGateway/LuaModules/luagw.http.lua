-- `luagw.http.request(url, opts)` (SPEC 7): an HTTP/1.1 client on luagw's cosockets, the way
-- OpenResty's lua-resty-http is built: it suspends only the calling request, keeps its
-- connections alive per worker (the cosocket pool, keyed by host:port), sends a string body
-- with Content-Length and an iterator body chunked, and with `opts.stream` hands the response
-- body over piece by piece (`res:read([n])`), each read waiting on the socket: backpressure
-- both ways. `https:` shakes hands on a new connection (SPEC 11): the URL's host is the server
-- name, verified unless `opts.ssl_verify == false`; its kept-alive connections are pooled by
-- host, port, server name and verification, apart from plain ones, and come back encrypted.
local C, need = ...
local tcp, milliseconds = need("tcp").tcp, need("tcp").milliseconds
local type, error, tostring, tonumber, tointeger = type, error, tostring, tonumber, math.tointeger
local pairs, ipairs, setmetatable, rawget = pairs, ipairs, setmetatable, rawget
local sfind, ssub, lower, upper, format, match = string.find, string.sub, string.lower, string.upper, string.format, string.match
local concat, sort = table.concat, table.sort

local USER_AGENT = "luagw/" .. C.version
local DEFAULT_TIMEOUT = C.socket_timeout  -- --socket-timeout
-- Tries of a request whose kept-alive connections turn out closed (tcp.lua's pool holds 30).
local POOL_RETRIES = 32

local M = {}

-- The port of a URL without one, by scheme.
local DEFAULT_PORTS = { http = 80, https = 443 }

-- scheme, host, port, target of an http: or https: URL; nil and the error otherwise.
local function parse_url(url)
  local scheme, authority, target = match(url, "^(%a[%w+.-]*)://([^/?#]*)([^#]*)")
  if not scheme then return nil, "bad url " .. url end
  scheme = lower(scheme)
  if not DEFAULT_PORTS[scheme] then return nil, "unsupported scheme " .. scheme end
  local host, port = match(authority, "^%[([^%]]+)%]:?(%d*)$")
  if not host then host, port = match(authority, "^([^:]+):?(%d*)$") end
  if not host or host == "" then return nil, "bad url " .. url end
  if target == "" then target = "/" elseif ssub(target, 1, 1) == "?" then target = "/" .. target end
  return scheme, host, tointeger(tonumber(port)) or DEFAULT_PORTS[scheme], target
end

-- Header names looked up whatever their case; repeated fields are arrays.
local Headers = {
  __index = function(self, name)
    if type(name) ~= "string" then return nil end
    return rawget(self, lower(name))
  end,
}

local function add_header(headers, name, value)
  local key = lower(name)
  local old = rawget(headers, key)
  if old == nil then
    headers[key] = value
  elseif type(old) == "table" then
    old[#old + 1] = value
  else
    headers[key] = { old, value }
  end
end

-- The request head's lines for `headers` (a map, or an array of {name, value} pairs).
local function header_lines(headers, out)
  local seen = {}
  if headers == nil then return seen end
  if headers[1] ~= nil then
    for _, pair in ipairs(headers) do
      out[#out + 1] = pair[1] .. ": " .. tostring(pair[2]) .. "\r\n"
      seen[lower(pair[1])] = true
    end
  else
    local names = {}
    for name in pairs(headers) do names[#names + 1] = name end
    sort(names)
    for _, name in ipairs(names) do
      local value = headers[name]
      if type(value) == "table" then
        for _, v in ipairs(value) do out[#out + 1] = name .. ": " .. tostring(v) .. "\r\n" end
      else
        out[#out + 1] = name .. ": " .. tostring(value) .. "\r\n"
      end
      seen[lower(name)] = true
    end
  end
  return seen
end

local Response = {}
Response.__index = Response

-- Gives the connection back (to its pool when it may serve another request).
local function release(res)
  local sock = res.sock
  if not sock then return end
  res.sock = nil
  if res.reusable then sock:setkeepalive() else sock:close() end
end

local function fail(res, err)
  if res.sock then res.sock:close(); res.sock = nil end
  return nil, err
end

-- The next piece of the body: at most `n` bytes (default 65536), nil at the end.
function Response:read(n)
  n = tointeger(n) or 65536
  local sock = self.sock
  if not sock or self.done then self.done = true; release(self); return nil end
  local mode = self.mode
  if mode == "length" then
    if self.left == 0 then self.done = true; release(self); return nil end
    local want = self.left < n and self.left or n
    local data, err = sock:receive(want)
    if not data then return fail(self, err) end
    self.left = self.left - #data
    -- The last bytes: the connection goes back to its pool now, before the caller hands them
    -- on (a proxy's client may send its next request as soon as it has them).
    if self.left == 0 then self.done = true; release(self) end
    return data
  elseif mode == "chunked" then
    if self.left == 0 then
      if self.started then
        local crlf, err = sock:receive(2)
        if crlf ~= "\r\n" then return fail(self, err or "malformed chunked body") end
      end
      self.started = true
      local line, err = sock:receive("*l")
      if not line then return fail(self, err) end
      local size = tonumber(match(line, "^%s*(%x+)"), 16)
      if not size then return fail(self, "malformed chunk size") end
      if size == 0 then
        repeat  -- trailer fields, then the empty line
          line, err = sock:receive("*l")
          if not line then return fail(self, err) end
        until line == ""
        self.done = true
        release(self)
        return nil
      end
      self.left = size
    end
    local data, err = sock:receive(self.left < n and self.left or n)
    if not data then return fail(self, err) end
    self.left = self.left - #data
    return data
  else  -- until the server closes
    local data, err, partial = sock:receive(n)
    if data then return data end
    if err == "closed" then
      self.done = true
      self.sock = nil
      if partial and partial ~= "" then return partial end
      return nil
    end
    return fail(self, err)
  end
end

-- Gives up the rest of the body: the connection closes unless the body was read to its end.
function Response:close()
  if self.sock then self.sock:close(); self.sock = nil end
  self.done = true
end

-- Reads the rest of the body; the body, or nil and the error.
function Response:read_body()
  local parts = {}
  while true do
    local data, err = self:read(65536)
    if not data then
      if err then return nil, err end
      return concat(parts)
    end
    parts[#parts + 1] = data
  end
end

local function send_body(sock, body, chunked)
  if type(body) == "string" then
    if #body > 0 then return sock:send(body) end
    return true
  end
  while true do
    local chunk = body()
    if chunk == nil then break end
    if type(chunk) ~= "string" then error("the request body iterator returned a " .. type(chunk), 3) end
    if #chunk > 0 then
      local ok, err = sock:send(chunked and { format("%x\r\n", #chunk), chunk, "\r\n" } or chunk)
      if not ok then return nil, err end
    end
  end
  if not chunked then return true end
  return sock:send("0\r\n\r\n")
end

function M.request(url, opts)
  if type(url) ~= "string" then error("bad argument #1 to 'luagw.http.request' (a URL expected)", 2) end
  opts = opts or {}
  local scheme, host, port, target = parse_url(url)
  if not scheme then return nil, host end
  local method = upper(opts.method or (opts.body and "POST" or "GET"))
  local body = opts.body
  if body ~= nil and type(body) ~= "string" and type(body) ~= "function" then
    error("bad argument #2 to 'luagw.http.request' (opts.body must be a string or an iterator)", 2)
  end
  local out = { method, " ", target, " HTTP/1.1\r\n" }
  local seen = header_lines(opts.headers, out)
  if not seen.host then out[#out + 1] = "Host: " .. (port == DEFAULT_PORTS[scheme] and host or host .. ":" .. port) .. "\r\n" end
  if not seen["user-agent"] then out[#out + 1] = "User-Agent: " .. USER_AGENT .. "\r\n" end
  -- An iterator body goes chunked, unless the caller gave its Content-Length.
  local chunked = type(body) == "function" and not seen["content-length"]
  if type(body) == "string" then
    out[#out + 1] = "Content-Length: " .. #body .. "\r\n"
  elseif chunked then
    out[#out + 1] = "Transfer-Encoding: chunked\r\n"
  end
  out[#out + 1] = "\r\n"
  local body_touched = false
  local sent_body = type(body) == "function" and function() body_touched = true; return body() end or body

  -- A kept-alive connection that the server closed meanwhile fails before any answer: the
  -- request goes again on another connection (a new one at the latest once the pool's are
  -- used up), unless an iterator body was already read from.
  local tls = scheme == "https"
  local verify = opts.ssl_verify ~= false
  -- Plain connections share tcp.lua's host:port pools; encrypted ones have their own.
  local pool = tls and format("https:%s:%d:%s", host, port, verify and "verified" or "unverified") or nil
  local sock, status_line, err
  for _ = 1, POOL_RETRIES do
    sock = tcp()
    sock:settimeout(milliseconds(opts.timeout or DEFAULT_TIMEOUT))
    local ok
    ok, err = sock:connect(host, port, pool and { pool = pool })
    if not ok then return nil, err end
    local reused = sock:getreusedtimes()
    if tls and reused == 0 then
      ok, err = sock:sslhandshake(nil, host, verify)
      if not ok then return nil, err end
    end
    ok, err = sock:send(out)
    if ok and body then ok, err = send_body(sock, sent_body, chunked) end
    if ok then status_line, err = sock:receive("*l") end
    if status_line then break end
    sock:close()
    if reused == 0 or err ~= "closed" or body_touched then return nil, err end
  end
  if not status_line then return nil, err end

  local answer
  repeat  -- 1xx answers are skipped
    if not status_line then
      status_line, err = sock:receive("*l")
      if not status_line then sock:close(); return nil, err end
    end
    local code = tonumber(match(status_line, "^HTTP/%d%.%d (%d%d%d)"))
    if not code then sock:close(); return nil, "bad status line: " .. status_line end
    local headers = setmetatable({}, Headers)
    while true do
      local line
      line, err = sock:receive("*l")
      if not line then sock:close(); return nil, err end
      if line == "" then break end
      local name, value = match(line, "^([^:%s]+)%s*:%s*(.-)%s*$")
      if name then add_header(headers, name, value) end
    end
    answer = { code = code, reason = match(status_line, "^HTTP/%d%.%d %d%d%d ?(.*)$"), headers = headers,
               http10 = sfind(status_line, "^HTTP/1%.0") ~= nil }
    status_line = nil
  until answer.code >= 200 or answer.code == 101
  local res = setmetatable({ status = answer.code, reason = answer.reason, headers = answer.headers,
                             sock = sock, left = 0 }, Response)
  local connection = lower(tostring(res.headers.connection or ""))
  res.reusable = not answer.http10 and not sfind(connection, "close", 1, true)
  local encoding = res.headers["transfer-encoding"]
  local length = tointeger(tonumber(res.headers["content-length"]))
  if method == "HEAD" or res.status == 204 or res.status == 304 or res.status < 200 then
    res.mode, res.done = "length", true
  elseif encoding and sfind(lower(tostring(encoding)), "chunked", 1, true) then
    res.mode = "chunked"
  elseif length then
    res.mode, res.left = "length", length
  else
    res.mode, res.reusable = "close", false
  end
  if res.done then release(res) end
  if opts.stream then return res end
  local data, read_err = res:read_body()
  if not data then return nil, read_err end
  res.body = data
  return res
end

return M
