-- What luagw.web.gzip and luagw.web.filter share (SPEC 8): running an application with a
-- start_response that holds the response back until its body is seen, then letting a plan
-- rewrite the head and each chunk of the body as it streams (never collected first, unless
-- the plan asks for the whole body).
--
-- intercept.run(app, environ, start_response, decide): decide(status, headers, body) returns
-- nil to pass the response through untouched, or a plan:
--   plan.headers         the head to send (a new list; the server frames the body)
--   plan.chunk(data)     the bytes to send for a chunk of the body ("" for none yet)
--   plan.finish()        the bytes to send after the last chunk ("" for none)
--   plan.whole(body)     optional: the bytes for a whole body given at once (a string)
-- An application that calls start_response's `write` passes through.
local C, need = ...
local is_file = need("file_wrapper").is_file
local is_callable = need("scripts").is_callable
local type, error, setmetatable, getmetatable = type, error, setmetatable, getmetatable
local concat = table.concat

local M = {}

-- The body's close, if it has one (the server calls the close of what a wrapper returns
-- instead: the wrapper calls this one).
local function close_of(body)
  if type(body) ~= "table" then return nil end
  local close = body.close
  if close == nil then
    local mt = getmetatable(body)
    close = type(mt) == "table" and mt.__close or nil
  end
  return close
end

-- An iterator over `body`'s chunks rewritten by `plan`, which closes `body` when closed.
local function rewritten(body, plan)
  local done = false
  local iterator = setmetatable({}, {
    __call = function()
      while not done do
        local chunk = body()
        if chunk == nil then
          done = true
          local tail = plan.finish()
          if tail ~= "" then return tail end
          return nil
        end
        if type(chunk) ~= "string" then
          error("the body iterator returned a " .. type(chunk) .. "; expected a string, or nil at the end", 0)
        end
        local out = plan.chunk(chunk)
        if out ~= "" then return out end
      end
      return nil
    end,
  })
  local close = close_of(body)
  iterator.close = function()
    if close then close(body) end
  end
  return iterator
end

-- `first`, then what `rest` gives.
local function prepend(first, rest)
  return setmetatable({ close = rest.close }, {
    __call = function()
      if first then
        local out = first
        first = nil
        return out
      end
      return rest()
    end,
  })
end

-- The rewritten body, computed (its first bytes, for a stream) before the head is sent:
-- a plan may change the head until then.
local function rewrite(body, plan)
  local t = type(body)
  if t == "table" and not is_callable(body) and not is_file(body) then body, t = concat(body), "string" end
  if t == "string" or t == "nil" then
    body = body or ""
    if plan.whole then return plan.whole(body) end
    return plan.chunk(body) .. plan.finish()
  end
  local rest = rewritten(body, plan)
  local first = rest()
  if first == nil then  -- nothing at all: the server will not call this close
    rest.close()
    return ""
  end
  return prepend(first, rest)
end

function M.run(app, environ, start_response, decide)
  local status, headers, passed
  local function held(s, h, exc_info)
    if passed then return start_response(s, h, exc_info) end
    status, headers = s, h
    return function(data)  -- `write`: the head goes as it is, and so does everything after
      if not passed then passed = start_response(status, headers) end
      return passed(data)
    end
  end
  local body = app(environ, held)
  if passed or status == nil then return body end  -- the driver reports a missing start_response
  local plan = decide(status, headers, body)
  if not plan then
    start_response(status, headers)
    return body
  end
  local out = rewrite(body, plan)
  start_response(status, plan.headers)
  return out
end

M.close_of = close_of

-- The value of header `name` (lowercase) in `headers`, and its index; or nil.
function M.header(headers, name)
  for i = 1, #headers do
    local h = headers[i]
    if h[1]:lower() == name then return h[2], i end
  end
  return nil
end

-- `headers` without the fields named in `drop` (a set of lowercase names), as a new list.
function M.without(headers, drop)
  local out = {}
  for i = 1, #headers do
    local h = headers[i]
    if not drop[h[1]:lower()] then out[#out + 1] = { h[1], h[2] } end
  end
  return out
end

return M
