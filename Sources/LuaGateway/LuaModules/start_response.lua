-- `start_response(status, headers [, exc_info]) -> write` (SPEC 1.2).
--
-- It validates what the application gives and keeps the response head in the request
-- record `r`: `code`, `line` ("200 OK"), `block` (the application's header lines, each
-- ending in CRLF), `length` (its Content-Length, if any) and `flags` (HAS_DATE: it set
-- Date, HAS_SERVER: it set Server). The server writes the head when the first non-empty
-- chunk, or the end of the body, reaches it.
local C = ...
local safe, HAS_DATE, HAS_SERVER = C.safe, C.protocol.HAS_DATE, C.protocol.HAS_SERVER
local type, error, tostring, tonumber, pairs, next = type, error, tostring, tonumber, pairs, next
local concat, sort = table.concat, table.sort
local sfind, ssub, lower, format = string.find, string.sub, string.lower, string.format
local mtype, tointeger = math.type, math.tointeger

-- Every code of IANA's HTTP Status Code Registry (418 as RFC 2324 names it).
local REASONS = {
  [100] = "Continue", [101] = "Switching Protocols", [102] = "Processing", [103] = "Early Hints",
  [200] = "OK", [201] = "Created", [202] = "Accepted", [203] = "Non-Authoritative Information",
  [204] = "No Content", [205] = "Reset Content", [206] = "Partial Content", [207] = "Multi-Status",
  [208] = "Already Reported", [226] = "IM Used", [300] = "Multiple Choices",
  [301] = "Moved Permanently", [302] = "Found", [303] = "See Other", [304] = "Not Modified",
  [305] = "Use Proxy", [307] = "Temporary Redirect", [308] = "Permanent Redirect", [400] = "Bad Request",
  [401] = "Unauthorized", [402] = "Payment Required", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [406] = "Not Acceptable", [407] = "Proxy Authentication Required",
  [408] = "Request Timeout", [409] = "Conflict", [410] = "Gone", [411] = "Length Required",
  [412] = "Precondition Failed", [413] = "Content Too Large", [414] = "URI Too Long",
  [415] = "Unsupported Media Type", [416] = "Range Not Satisfiable", [417] = "Expectation Failed",
  [418] = "I'm a teapot", [421] = "Misdirected Request", [422] = "Unprocessable Content",
  [423] = "Locked", [424] = "Failed Dependency", [425] = "Too Early", [426] = "Upgrade Required",
  [428] = "Precondition Required", [429] = "Too Many Requests",
  [431] = "Request Header Fields Too Large", [451] = "Unavailable For Legal Reasons",
  [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
  [503] = "Service Unavailable", [504] = "Gateway Timeout", [505] = "HTTP Version Not Supported",
  [506] = "Variant Also Negotiates", [507] = "Insufficient Storage", [508] = "Loop Detected",
  [510] = "Not Extended", [511] = "Network Authentication Required",
}

local HOP_BY_HOP = {
  ["connection"] = true, ["keep-alive"] = true, ["transfer-encoding"] = true, ["upgrade"] = true,
  ["proxy-connection"] = true, ["te"] = true, ["trailer"] = true,
}

-- What was validated once need not be again: status strings and header names
-- seen before (a few hundred at most, then no more are remembered).
local known_status, known_status_count = {}, 0
local integer_lines = {}  -- the status line of an integer status
local known_names, known_names_count = {}, 0

local function parse_status(status)
  local code = known_status[status]
  if code then return code, status end
  if mtype(status) == "integer" then
    local line = integer_lines[status]
    if line then return status, line end
    if status < 100 or status > 999 then
      error(format("start_response: status %d is not a 3-digit code", status), 3)
    end
    line = status .. " " .. (REASONS[status] or "Unknown")
    integer_lines[status] = line  -- 900 codes at most
    return status, line
  elseif type(status) == "string" then
    if not sfind(status, "^[1-9]%d%d ") or not safe(status) then
      error(format("start_response: status %q is not \"NNN Reason\"", status), 3)
    end
    code = tointeger(tonumber(ssub(status, 1, 3)))
    if known_status_count < 256 then
      known_status[status], known_status_count = code, known_status_count + 1
    end
    return code, status
  end
  error(format("start_response: status must be a string or an integer, got %s", type(status)), 3)
end

-- The lower-case form of a valid header name; an error for an invalid one.
local function header_key(name)
  local key = known_names[name]
  if key then return key end
  if type(name) ~= "string" or not sfind(name, "^[%w!#$%%&'*+%-.^_`|~]+$") then
    error(format("start_response: invalid header name %q", tostring(name)), 5)
  end
  key = lower(name)
  if known_names_count < 1024 then
    known_names[name], known_names_count = key, known_names_count + 1
  end
  return key
end

-- The line ("Name: value\r\n") of each header pair seen before that says nothing about the
-- response itself (not Content-Length, Date or Server): by name, then value. At most 256 pairs,
-- each value short (an ETag or a cookie differs from response to response: those fill it, once).
local known_lines, known_lines_count = {}, 0

local function remember_line(name, value, line)
  if known_lines_count >= 256 or #value > 128 then return end
  local by_value = known_lines[name]
  if not by_value then
    by_value = {}
    known_lines[name] = by_value
  end
  by_value[value], known_lines_count = line, known_lines_count + 1
end

-- Appends one validated header line to parts; returns the new count.
local function add_header(r, parts, k, name, value)
  local key = header_key(name)
  local tv = type(value)
  local plain = tv == "string"
  if tv == "number" then
    value = tostring(tointeger(value) or value)
  elseif not plain then
    error(format("start_response: header %s has a %s value, expected a string", name, tv), 4)
  end
  if not safe(value) then
    error(format("start_response: header %s: value contains CR, LF or NUL", name), 4)
  end
  if HOP_BY_HOP[key] then
    error(format("start_response: %s is a hop-by-hop header; framing is the server's job", name), 4)
  elseif key == "content-length" then
    local n = sfind(value, "^%d+$") and tointeger(tonumber(value))
    if not n then error(format("start_response: Content-Length %q is not a byte count", value), 4) end
    if r.length and r.length ~= n then error("start_response: conflicting Content-Length headers", 4) end
    r.length, plain = n, false
  elseif key == "date" then
    r.flags, plain = r.flags | HAS_DATE, false
  elseif key == "server" then
    r.flags, plain = r.flags | HAS_SERVER, false
  end
  local line = name .. ": " .. value .. "\r\n"
  if plain then remember_line(name, value, line) end
  parts[k + 1] = line
  return k + 1
end

-- Returns the header block, and the record of what it says about the response
-- (a table reused by every call: read it before the next).
local facts, parts = { length = nil, flags = 0 }, {}
local function header_block(headers)
  local r = facts
  r.length, r.flags = nil, 0
  if type(headers) ~= "table" then
    error(format("start_response: headers must be a table, got %s", type(headers)), 3)
  end
  local k = 0
  if headers[1] ~= nil or next(headers) == nil then
    for i = 1, #headers do
      local h = headers[i]
      if type(h) ~= "table" then
        error(format("start_response: header %d is a %s, expected a {name, value} pair", i, type(h)), 3)
      end
      local name, value = h[1], h[2]
      local by_value = known_lines[name]
      local line = by_value and by_value[value]
      if line then
        k = k + 1
        parts[k] = line
      else
        k = add_header(r, parts, k, name, value)
      end
    end
  else
    local names = {}
    for name in pairs(headers) do names[#names + 1] = tostring(name) end
    sort(names)
    for i = 1, #names do k = add_header(r, parts, k, names[i], headers[names[i]]) end
  end
  if k == 1 then return parts[1], r end
  return concat(parts, "", 1, k), r
end

local M = { hop_by_hop = HOP_BY_HOP }

-- start_response (and its write) bound to the request record `r`; `send(r, chunk)` hands
-- the write's bytes to the server (the driver's).
function M.new(r, send)
  local function write(data)
    if type(data) ~= "string" then
      error(format("write: expected a string, got %s", type(data)), 2)
    end
    if #data > 0 and not r.stopped then send(r, data) end
  end
  return function(status, headers, exc_info)
    if r.websocket then error("start_response: called after luagw.websocket.accept", 2) end
    if r.code then
      if exc_info == nil then
        error("start_response: called a second time without exc_info", 2)
      elseif r.sent then
        error(exc_info, 0)
      end
    end
    local code, line = parse_status(status)
    local block, facts = header_block(headers)
    r.code, r.line, r.block, r.length, r.flags = code, line, block, facts.length, facts.flags
    return write
  end
end

return M
