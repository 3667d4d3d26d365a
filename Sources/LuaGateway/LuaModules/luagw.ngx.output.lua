-- luagw.ngx's output (SPEC 7), as OpenResty's content phase has it: `ngx.say`, `ngx.print`,
-- `ngx.flush`, `ngx.exit`, `ngx.redirect`, and the response a handler run by luagw.ngx.app makes.
-- The first say/print/flush sends the headers (ngx.headers_sent is true from then on, later header
-- changes are refused); what is said is held until a flush, until FLUSH_AT bytes are held (nginx
-- holds less than its postpone_output too), or until the handler ends, so that a short answer goes
-- out whole (with Content-Length) in one write. `ngx.exit` ends the handler: a yield of EXIT that
-- luagw.ngx.app takes (a pcall in the handler cannot catch it).
local C, need = ...
local request = need("luagw.ngx.request")
local status = need("luagw.ngx.status")
local wait = need("wait").wait
local luagw = need("luagw")
local state, header_list = request.state, request.header_list
local current = C.current
local ABORT = C.protocol.ABORT
local type, error, tostring, select, pairs, setmetatable = type, error, tostring, select, pairs, setmetatable
local concat, format = table.concat, string.format
local mtype, tointeger, floor = math.type, math.tointeger, math.floor
local co_yield, isyieldable = coroutine.yield, coroutine.isyieldable

local FLUSH_AT = 16384
-- What nginx sends as Content-Type when the handler set none (its default_type's default).
local DEFAULT_TYPE = "text/plain"
-- The header list of a handler that set no header (start_response keeps nothing of it).
local DEFAULT_HEADERS = { { "Content-Type", DEFAULT_TYPE } }
local OK, ERROR, AGAIN, DONE = 0, -1, -2, -4
-- The statuses that make nginx close the connection without a response (or with a cut one).
local CLOSING = { [ERROR] = true, [408] = true, [444] = true, [499] = true }
-- What a special response (nginx's error page) leaves out of the handler's headers.
local SPECIAL_DROP = { ["content-length"] = true, ["last-modified"] = true, ["etag"] = true, ["accept-ranges"] = true }

local M = { EXIT = setmetatable({}, { __name = "ngx.exit" }) }
local EXIT = M.EXIT
local null = luagw.null

-- A number as OpenResty writes it: an integer in 32 bits as one, anything else as "%.14g".
local function number(v)
  local i = tointeger(v)
  if i and i >= -2147483648 and i <= 2147483647 then return tostring(i) end
  return format("%.14g", v)
end

-- Appends what `v` (argument `i` of `name`) writes to `parts` (at `k`); returns the new count.
-- Its errors carry no position, as OpenResty's (luaL_argerror in C).
local function render(parts, k, v, i, name, nested)
  local t = type(v)
  if t == "string" then parts[k + 1] = v
  elseif t == "number" then parts[k + 1] = number(v)
  elseif t == "nil" then parts[k + 1] = "nil"
  elseif t == "boolean" then parts[k + 1] = v and "true" or "false"
  elseif v == null then parts[k + 1] = "null"
  elseif t == "table" then
    local max = 0
    for key in pairs(v) do
      if mtype(key) == nil or key < 1 or floor(key) ~= key then
        error(format("bad argument #%d to '%s' (non-array table found)", i, name), 0)
      end
      if key > max then max = key end
    end
    for j = 1, max do k = render(parts, k, v[j], i, name, true) end
    return k
  elseif nested then
    error(format("bad argument #%d to '%s' (bad data type %s found)", i, name, t), 0)
  else
    error(format("bad argument #%d to '%s' (string, number, boolean, nil, ngx.null, or array table expected, "
      .. "but got %s)", i, name, t), 0)
  end
  return k + 1
end

-- The running handler's ngx table, for output function `name`.
local function output_state(name)
  local n = state(name)
  if not n.start_response then
    error(name .. ": only a handler run by luagw.ngx.app writes the response (require(\"luagw.ngx\").app(handler))", 3)
  end
  return n
end

-- Sends the headers: the status line and header list the handler made, once.
local function start(n)
  if n.write then return end
  local r = n.r
  if r.websocket then return end
  n.plain, n.used = false, true
  local code = n.status ~= 0 and n.status or 200
  local bodyless = code == 204 or code == 304
  if not n.headers and not bodyless then
    n.write = n.start_response(status.line(code), DEFAULT_HEADERS)
    return
  end
  local content_type  -- nil: the handler's
  if bodyless then content_type = false
  elseif not n.headers["content-type"] then content_type = DEFAULT_TYPE end
  n.write = n.start_response(status.line(code), header_list(n, content_type))
end

-- What was said and not sent yet, as one string (and forgotten here).
local function take(n)
  local k = n.outn
  if k == 0 then return "" end
  local out = n.out
  n.outn, n.outbytes = 0, 0
  if k == 1 then
    local s = out[1]
    out[1] = nil
    return s
  end
  local s = concat(out, "", 1, k)
  for i = 1, k do out[i] = nil end
  return s
end

-- Sends what was said (only the request's own code can: a light thread's output waits for it).
local function send_held(n)
  if current() ~= n.r or n.aborted or n.r.websocket then return end
  start(n)
  if n.outn > 0 then n.write(take(n)) end
end

-- Headers count as sent from the first output on (ngx.status is 200 then, unless set).
local function mark_sent(n)
  n.sent = true
  if n.status == 0 then n.status = 200 end
end

-- Holds `s` (what say or print writes) until it is sent; 1.
local function hold(n, s)
  if not n.sent then
    n.sent = true
    if n.status == 0 then n.status = 200 end
  end
  local k = n.outn + 1
  n.out[k] = s
  n.outn = k
  local held = n.outbytes + #s
  n.outbytes = held
  if held >= FLUSH_AT then send_held(n) end
  return 1
end

local function echo(name, newline, ...)
  local n = output_state(name)
  if n.exit or n.aborted then return nil, "seen eof" end
  local count = select("#", ...)
  local s
  local v = ...
  if count == 1 and type(v) == "string" then
    s = v
  else
    local parts, k = {}, 0
    for i = 1, count do k = render(parts, k, (select(i, ...)), i, name) end
    s = concat(parts, "", 1, k)
  end
  if newline then return hold(n, s .. "\n") end
  if s == "" then
    if not n.sent then mark_sent(n) end
    return 1
  end
  return hold(n, s)
end

function M.say(...)
  -- The common case first: one string, from the handler's own code (`live`: its request's serial).
  local r = current()
  local n = r and r.ngx
  if n and n.live == r.serial and select("#", ...) == 1 then
    local v = ...
    if type(v) == "string" then return hold(n, v .. "\n") end
  end
  return echo("say", true, ...)
end

function M.print(...)
  return echo("print", false, ...)
end

-- Sends the headers and what was said; 1 (`wait` is accepted: a send waits while the client is slow).
function M.flush()
  local n = output_state("flush")
  if n.exit or n.aborted then return nil, "seen eof" end
  if not n.sent then mark_sent(n) end
  send_held(n)
  return 1
end

-- Closes the connection without a response (444 and the like), or cuts one already started.
local function abort(n)
  n.aborted, n.used, n.live, n.plain = true, true, false, false
  take(n)
  wait("ngx.exit", ABORT)
end

function M.exit(code)
  local c = tointeger(code)
  if not c then error("bad argument #1 to 'ngx.exit' (number expected, got " .. type(code) .. ")", 2) end
  if c == AGAIN or c == DONE then error("bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE", 2) end
  local n = output_state("ngx.exit")
  if current() ~= n.r then
    error("ngx.exit: luagw ends a handler from its own code, not from a light thread", 2)
  end
  if not isyieldable() then error("ngx.exit: cannot end the handler here (Lua cannot yield here)", 2) end
  if CLOSING[c] then abort(n) end
  n.exit, n.live, n.plain, n.used = c, false, false, true
  co_yield(EXIT)
  error("ngx.exit: the handler was resumed after it exited", 2)
end

local REDIRECTS = { [301] = true, [302] = true, [303] = true, [307] = true, [308] = true }

function M.redirect(uri, code)
  code = tointeger(code) or 302
  if not REDIRECTS[code] then
    error("only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, "
      .. "ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed", 2)
  end
  local n = output_state("ngx.redirect")
  if n.sent then error("attempt to call ngx.redirect after sending out the headers", 2) end
  request.header.Location = tostring(uri)
  return M.exit(code)
end

-- The handler is over (it returned, or exited): the rest of the response, as the driver takes it
-- (a whole body, or nil once streamed).
function M.finish(n)
  local r = n.r
  if r.websocket then return nil end
  if n.plain then
    -- The common case: the handler set no status or header, nothing was sent, no ngx.exit.
    n.start_response("200 OK", DEFAULT_HEADERS)
    return take(n)
  end
  local code = n.exit
  if n.aborted then
    if n.write then return nil end
    n.start_response(444, {})  -- nothing reaches the client (its connection is closed): for the log
    return ""
  end
  if not n.sent and code and code >= 300 then
    -- nginx's special response: its page (or none), the handler's headers but its own type and length.
    local page = status.page(code)
    n.start_response(status.line(code), header_list(n, page and "text/html" or false, SPECIAL_DROP))
    return page or ""
  end
  if not n.sent and code and code >= 200 and n.status == 0 then n.status = code end
  if n.write then
    send_held(n)
    return nil
  end
  if n.headers or n.status ~= 0 and n.status ~= 200 then
    start(n)
  else
    n.write = n.start_response("200 OK", DEFAULT_HEADERS)  -- nothing set but an ngx.exit below 300
  end
  return take(n)
end

-- Puts the output functions into `ngx`.
function M.install(ngx)
  ngx.say, ngx.print, ngx.flush, ngx.exit, ngx.redirect = M.say, M.print, M.flush, M.exit, M.redirect
  for name, value in pairs(status.constants) do ngx[name] = value end
  ngx.OK, ngx.ERROR = OK, ERROR
end

return M
