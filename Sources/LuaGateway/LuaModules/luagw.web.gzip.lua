-- `luagw.web.gzip(app [, opts])` (SPEC 8): compresses the response, as Django's GZipMiddleware
-- and nginx's `gzip on`, when the client accepts gzip (`Accept-Encoding`, q > 0), the type is
-- compressible, the response is not encoded already, not a 206/204/304, not to a HEAD, and not
-- tiny (a declared or whole length under opts.min_size, 1024 bytes unless told). A streamed
-- body is compressed chunk by chunk (each flushed at once: a slow stream stays live), never
-- collected. Sets Content-Encoding and Vary, drops Content-Length (the server frames the
-- body again), and weakens a strong ETag. The compression runs in C (zlib), opts.level 1-9
-- (6 unless told).
local C, need = ...
local intercept = need("intercept")
local gzip_stream = C.gzip_stream
local type, error, tonumber, tointeger, setmetatable, ipairs = type, error, tonumber, math.tointeger, setmetatable, ipairs
local sfind, ssub, smatch, gmatch, lower = string.find, string.sub, string.match, string.gmatch, string.lower

local COMPRESSIBLE = {
  ["application/json"] = true, ["application/javascript"] = true, ["application/xml"] = true,
  ["application/xhtml+xml"] = true, ["application/rss+xml"] = true, ["application/atom+xml"] = true,
  ["application/wasm"] = true, ["application/x-javascript"] = true, ["application/ld+json"] = true,
  ["application/manifest+json"] = true, ["image/svg+xml"] = true, ["image/x-icon"] = true,
  ["font/ttf"] = true, ["font/otf"] = true, ["application/vnd.ms-fontobject"] = true,
}

local function compressible(content_type)
  if not content_type then return false end
  local media = lower(smatch(content_type, "^%s*([^;%s]+)") or "")
  return ssub(media, 1, 5) == "text/" or COMPRESSIBLE[media] == true
    or sfind(media, "%+json$") ~= nil or sfind(media, "%+xml$") ~= nil
end

-- Whether Accept-Encoding allows gzip (RFC 9110 §12.5.3: "gzip;q=0" refuses it, "*" allows it).
local function accepts_gzip(field)
  if not field then return false end
  local gzip_q, any_q
  for item in gmatch(lower(field), "[^,]+") do
    local coding = smatch(item, "^%s*([^;%s]+)")
    local q = tonumber(smatch(item, ";%s*q%s*=%s*([%d.]+)") or "1") or 0
    if coding == "gzip" or coding == "x-gzip" then gzip_q = q elseif coding == "*" then any_q = q end
  end
  if gzip_q ~= nil then return gzip_q > 0 end
  return any_q ~= nil and any_q > 0
end

local DROPPED = { ["content-length"] = true, ["etag"] = true }

local function new(app, opts)
  if app == nil then error("bad argument #1 to 'luagw.web.gzip' (an application expected)", 2) end
  opts = opts or {}
  local min_size = tointeger(opts.min_size) or 1024
  local level = tointeger(opts.level) or 6

  local function decide(status, headers, body)
    local code = tointeger(tonumber(smatch(status, "^(%d%d%d)")))
    if code == 204 or code == 206 or code == 304 or (code and code < 200) then return nil end
    local header = intercept.header
    if header(headers, "content-encoding") or not compressible(header(headers, "content-type")) then return nil end
    local length = tointeger(tonumber(header(headers, "content-length")))
    if type(body) == "string" then length = #body end
    if length and length < min_size then return nil end
    local out = intercept.without(headers, DROPPED)
    out[#out + 1] = { "Content-Encoding", "gzip" }
    local vary = header(headers, "vary")
    if not vary then
      out[#out + 1] = { "Vary", "Accept-Encoding" }
    elseif not sfind(lower(vary), "accept%-encoding") and vary ~= "*" then
      for _, h in ipairs(out) do if lower(h[1]) == "vary" then h[2] = h[2] .. ", Accept-Encoding" end end
    end
    local etag = header(headers, "etag")
    if etag then out[#out + 1] = { "ETag", ssub(etag, 1, 2) == "W/" and etag or "W/" .. etag } end
    local stream = gzip_stream(level)
    return {
      headers = out,
      chunk = function(data) return stream:compress(data) end,
      finish = function() return stream:finish() end,
      whole = function(data) return stream:finish(data) end,
    }
  end

  return function(environ, start_response)
    if environ.REQUEST_METHOD == "HEAD" or not accepts_gzip(environ.HTTP_ACCEPT_ENCODING) then
      return app(environ, start_response)
    end
    return intercept.run(app, environ, start_response, decide)
  end
end

return setmetatable({ new = new, accepts_gzip = accepts_gzip, compressible = compressible },
                    { __call = function(_, ...) return new(...) end })
