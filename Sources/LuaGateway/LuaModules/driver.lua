-- The request driver: `serve(index, environ, request_id, run_once, record)` runs as the body of
-- a request's coroutine. It completes environ with the Lua objects, the constants and the
-- defaults (Request/Environ.swift says who sets which key), calls the application, turns whatever it
-- returned into the server's yields (SPEC 1.1), and calls the body's `close` exactly
-- once, whatever happens. It returns DONE [, body, head...] or FAILED, message.
local C, need = ...
local P = C.protocol
local SENTINEL, SEND, FILE, DONE, FAILED = C.sentinel, P.SEND, P.FILE, P.DONE, P.FAILED
local GONE, GO_ON = P.GONE, P.GO_ON
local traceback, log, set_route = C.traceback, C.log, C.set_route
local co_yield = coroutine.yield
local type, error, tostring, xpcall, ipairs = type, error, tostring, xpcall, ipairs
local setmetatable, getmetatable = setmetatable, getmetatable
local concat, format, sfind = table.concat, string.format, string.find
local getinfo, getupvalue = debug.getinfo, debug.getupvalue

local scripts = need("scripts")
local new_input, new_errors = need("input").new, need("errors").new
local file_wrapper, is_file = need("file_wrapper").new, need("file_wrapper").is_file
local new_start_response = need("start_response").new
local luagw = need("luagw")
local run_request_end = need("request_end").run
local on_failure = need("traced_error").message

-- Hands a chunk to the server; false when the server wants no more (HEAD, length reached).
local function send(r, chunk)
  local verdict
  if r.sent then
    verdict = co_yield(SENTINEL, SEND, chunk)
  else
    if not r.code then error("the application sent body data before calling start_response", 0) end
    r.sent = true
    verdict = co_yield(SENTINEL, SEND, chunk, r.code, r.line, r.block, r.length, r.flags)
  end
  if verdict == GONE then error("the client went away", 0) end
  if verdict ~= GO_ON then r.stopped = true end
  return not r.stopped
end

local function stream(r, iterator)
  while true do
    local chunk = iterator()
    if chunk == nil then return end
    if type(chunk) ~= "string" then
      error(format("the body iterator returned a %s; expected a string, or nil at the end", type(chunk)), 0)
    end
    if #chunk > 0 and not send(r, chunk) then return end
  end
end

local function body_string(body)
  for i = 1, #body do
    if type(body[i]) ~= "string" then
      error(format("body element %d is a %s; expected a string", i, type(body[i])), 0)
    end
  end
  return concat(body)
end

local is_callable = scripts.is_callable

-- Runs the application; returns the whole body as a string, or nil once it has been streamed.
local function respond(r, app, environ)
  local body = app(environ, r.start_response)
  r.body = body
  local t = type(body)
  if t == "string" or t == "nil" then
    if r.sent and body and #body > 0 then send(r, body); return nil end
    return body
  elseif is_file(body) and not r.sent then
    if not r.code then error("the application returned a file before calling start_response", 0) end
    r.sent = true
    local verdict = co_yield(SENTINEL, FILE, body.path, body.offset, body.size, r.code, r.line, r.block, r.length, r.flags)
    if verdict == GONE then error("the client went away", 0) end
    return nil
  elseif t == "table" and not is_callable(body) then
    local s = body_string(body)
    if r.sent then
      if #s > 0 then send(r, s) end
      return nil
    end
    return s
  elseif is_callable(body) then
    stream(r, body)
    return nil
  end
  error(format("the application returned a %s; expected a string, a table, a function or nil", t), 0)
end

-- Calls the body's close exactly once; an error there is logged, the response stands.
local function close_body(body, errors)
  if type(body) ~= "table" then return end
  local close = body.close
  local mt = getmetatable(body)
  if type(close) ~= "function" and type(mt) == "table" then close = mt.__close end
  if type(close) ~= "function" and getmetatable(close) == nil then return end
  local ok, err = xpcall(close, traceback, body)
  if not ok then log(errors.id, "error in the body's close: " .. tostring(err), errors.mount) end
end

local WSGI_VERSION = setmetatable({}, { __index = { 1, 0 }, __len = function() return 2 end,
  __newindex = function() error("wsgi.version is read-only", 2) end })

local VERSION = C.version
-- Whether the state runs other requests while this one waits (--requests-per-state above 1).
local MULTITHREAD = C.concurrent
local SOFTWARE = "luagw/" .. VERSION

-- The running request's record: the table its coroutine is anchored in (C.current(): one per
-- coroutine, reused by the requests it runs one after another), with the start_response
-- bound to it; reset for each request. A state runs many requests at once: nothing of one
-- request lives in this module.
local begin_request = need("request").begin

local apps, load_errors, mounts, files = scripts.apps, scripts.load_errors, scripts.mounts, scripts.files

-- The errors about what an application did with the protocol (its body, start_response): they
-- are raised where luagw finds them, so they name the application instead: its file and the line
-- where its function starts (or its script, for a callable table or one wrapped by luagw).
local PROTOCOL_ERRORS = { "^the application ", "^body element ", "^the body iterator " }

-- Where the application's function is defined: through luagw's own wrappers (--dev's lint, a
-- luagw.web middleware), which keep what they wrap as their upvalue `app`; nil when unknown.
local function origin(app)
  for _ = 1, 8 do
    local info = type(app) == "function" and getinfo(app, "S")
    if not info or info.what ~= "Lua" then return nil end
    if not sfind(info.source, "^=luagw/") then return info end
    local inner
    for i = 1, 255 do
      local name, value = getupvalue(app, i)
      if name == nil or name == "app" then inner = value break end
    end
    app = inner
  end
end
local function located(message, app, index)
  local own = false
  for _, pattern in ipairs(PROTOCOL_ERRORS) do own = own or sfind(message, pattern) ~= nil end
  if not own then return message end
  local info = origin(app)
  if info then return format("%s:%d: %s", info.short_src, info.linedefined, message) end
  return format("%s: %s", files[index] or "?", message)
end

local M = { close_body = close_body }  -- luagw.test closes a body as the server does

-- `r` is the request's record (what C.current() returns while it runs), handed over by the server.
function M.serve(index, environ, request_id, run_once, r)
  local app = apps[index]
  if not app then return FAILED, load_errors[index] or "no application is loaded for this script" end
  -- The record, reset (its own function would cost a call a request).
  begin_request(r)
  if not r.start_response then r.start_response = new_start_response(r, send) end
  r.sent, r.stopped, r.body, r.websocket = false, false, nil, nil
  r.code, r.line, r.block, r.length, r.flags = nil, nil, nil, nil, 0
  r.environ = environ  -- for resty.websocket.server:new(), which takes no request
  local errors = new_errors(request_id, mounts[index], r)
  environ.SERVER_SOFTWARE = environ.SERVER_SOFTWARE or SOFTWARE  -- a CGI host's own, else luagw's
  environ.GATEWAY_INTERFACE = "CGI/1.1"
  environ.DOCUMENT_ROOT = environ.DOCUMENT_ROOT or scripts.root  -- a CGI host's own, else the served directory
  environ.SCRIPT_FILENAME = environ.SCRIPT_FILENAME or files[index]
  environ["wsgi.url_scheme"] = environ["wsgi.url_scheme"] or "http"  -- the server sets "https"
  environ["luagw.version"] = VERSION
  environ["wsgi.input"] = new_input(r)
  environ["wsgi.errors"] = errors
  environ["wsgi.version"] = WSGI_VERSION
  environ["wsgi.input_terminated"] = true
  environ["wsgi.multithread"] = MULTITHREAD
  environ["wsgi.multiprocess"] = true
  environ["wsgi.run_once"] = run_once
  environ["wsgi.file_wrapper"] = file_wrapper
  environ.luagw = luagw
  local ok, result = xpcall(respond, on_failure, r, app, environ)
  r.environ = nil  -- the record serves others next
  local route = environ["luagw.route"]  -- the router's template (luagw.web.router), for the metrics
  if type(route) == "string" then set_route(route) end
  -- (Each call below only when it has work: a call costs more than the test.)
  local body = r.body
  if type(body) == "table" then close_body(body, errors) end
  if r.deferred then
    local failed_cleanup = run_request_end(r)
    if failed_cleanup then log(request_id, "error at the end of the request: " .. failed_cleanup, errors.mount) end
  end
  if errors.pending ~= "" then errors:flush() end
  if not ok then return FAILED, located(result, app, index) end
  if r.sent then return DONE end
  if r.websocket then
    -- luagw.websocket.accept answered 101: the frames were the response.
    if result ~= nil and result ~= "" then
      log(request_id, "the application returned a body after luagw.websocket.accept: ignored", errors.mount)
    end
    return DONE
  end
  if not r.code then return FAILED, located("the application returned without calling start_response", app, index) end
  return DONE, result, r.code, r.line, r.block, r.length, r.flags
end

return M
