-- `luagw.web.filter(app, fn [, opts])` (SPEC 8): content post-processing, the seed's fourth
-- kind of middleware. `fn(chunk, environ, headers)` returns what to send for each chunk of the
-- body as it streams (a string; "" for nothing yet), and is called once more with `chunk` nil
-- after the last one (for what it held back, e.g. a tag cut in two). With opts.whole it is
-- called once, with the whole body. `headers` is the head about to be sent, which `fn` may
-- change on its first call (Content-Length is dropped: the server frames the body again).
-- opts.types: only responses whose Content-Type starts with one of these (a list) are filtered.
local C, need = ...
local intercept = need("intercept")
local type, error, setmetatable, ipairs, tostring = type, error, setmetatable, ipairs, tostring
local ssub, lower = string.sub, string.lower
local concat = table.concat

local DROPPED = { ["content-length"] = true }

local function wanted(types, content_type)
  if not types then return true end
  content_type = lower(content_type or "")
  for _, prefix in ipairs(types) do
    if ssub(content_type, 1, #prefix) == lower(prefix) then return true end
  end
  return false
end

local function new(app, fn, opts)
  if app == nil then error("bad argument #1 to 'luagw.web.filter' (an application expected)", 2) end
  if type(fn) ~= "function" then error("bad argument #2 to 'luagw.web.filter' (a function expected)", 2) end
  opts = opts or {}

  return function(environ, start_response)
    local function call(chunk, headers)
      local out = fn(chunk, environ, headers)
      if out ~= nil and type(out) ~= "string" then
        error("luagw.web.filter: the filter returned a " .. type(out) .. "; expected a string", 0)
      end
      return out or ""
    end
    return intercept.run(app, environ, start_response, function(status, headers)
      if not wanted(opts.types, intercept.header(headers, "content-type")) then return nil end
      local out = intercept.without(headers, DROPPED)
      if opts.whole then
        local parts = {}
        return {
          headers = out,
          chunk = function(data) parts[#parts + 1] = data; return "" end,
          finish = function() return call(concat(parts), out) end,
          whole = function(data) return call(data, out) end,
        }
      end
      return {
        headers = out,
        chunk = function(data) return call(data, out) end,
        finish = function() return call(nil, out) end,
        whole = function(data) return call(data, out) .. call(nil, out) end,
      }
    end)
  end
end

return setmetatable({ new = new }, { __call = function(_, ...) return new(...) end })
