-- `luagw.web.static(dir [, fallback_app [, opts]])` (SPEC 8): an application that answers a
-- GET or HEAD with the file of `dir` that PATH_INFO names (also what `DIR/public/` serves):
-- Content-Type by extension, ETag and Last-Modified, 304 to a matching conditional request,
-- one byte range (206, or 416), `index.html` for a folder. A path with a segment that starts
-- with "." (`..`, dotfiles) or that leads out of `dir` (a symbolic link) names no file. What
-- names no file goes to `fallback_app`, or gets 404 (405 for another method on a file).
-- opts: max_age (seconds, Cache-Control), index ("index.html"; false: none).
local C, need = ...
local file_wrapper = need("file_wrapper").new
local file_info, realpath = C.file_info, C.realpath
local type, tonumber, tostring, setmetatable, error = type, tonumber, tostring, setmetatable, error
local sfind, ssub, smatch, gmatch, lower, format = string.find, string.sub, string.match, string.gmatch, string.lower, string.format
local date = os.date

-- Content types by extension (lowercase); anything else is application/octet-stream.
local TYPES = {
  html = "text/html; charset=utf-8", htm = "text/html; charset=utf-8", css = "text/css; charset=utf-8",
  js = "text/javascript; charset=utf-8", mjs = "text/javascript; charset=utf-8", json = "application/json",
  map = "application/json", txt = "text/plain; charset=utf-8", md = "text/markdown; charset=utf-8",
  csv = "text/csv; charset=utf-8", xml = "application/xml", lua = "text/plain; charset=utf-8",
  svg = "image/svg+xml", png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg", gif = "image/gif",
  webp = "image/webp", avif = "image/avif", ico = "image/x-icon", woff = "font/woff", woff2 = "font/woff2",
  ttf = "font/ttf", otf = "font/otf", pdf = "application/pdf", zip = "application/zip",
  gz = "application/gzip", wasm = "application/wasm", mp4 = "video/mp4", webm = "video/webm",
  mp3 = "audio/mpeg", ogg = "audio/ogg", wav = "audio/wav", txz = "application/x-xz",
}

local function content_type(path)
  local extension = smatch(path, "%.([^./]+)$")
  return extension and TYPES[lower(extension)] or "application/octet-stream"
end

local function http_date(seconds)
  return date("!%a, %d %b %Y %H:%M:%S GMT", seconds)
end

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10,
                 Nov = 11, Dec = 12 }

-- Seconds since the epoch of an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), or nil.
local function parse_http_date(s)
  local d, mon, y, h, mi, sec = smatch(s or "", "^%a%a%a, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  local month = MONTHS[mon or ""]
  if not month then return nil end
  -- Days from the civil date (Howard Hinnant's algorithm): no time zone involved.
  y, d = tonumber(y), tonumber(d)
  if month <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (month + (month > 2 and -3 or 9)) + 2) // 5 + d - 1
  local days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
  return days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec)
end

-- Whether If-None-Match's list holds `etag` (weak comparison, as RFC 9110 asks for it).
local function matches(list, etag)
  local bare = ssub(etag, 1, 2) == "W/" and ssub(etag, 3) or etag
  for tag in gmatch(list, "[^,%s]+") do
    if tag == "*" or tag == bare or tag == "W/" .. bare then return true end
  end
  return false
end

-- The one byte range of a Range field: first, last (inclusive); "unsatisfiable"; or nil to
-- send the whole file (no range, several ranges, or a field luagw does not understand).
local function byte_range(field, size)
  if not field then return nil end
  local first, last = smatch(field, "^%s*bytes%s*=%s*(%d*)%s*%-%s*(%d*)%s*$")
  if not first or (first == "" and last == "") then return nil end
  if first == "" then  -- the last N bytes
    local n = tonumber(last)
    if n == 0 or size == 0 then return "unsatisfiable" end
    return size - (n < size and n or size), size - 1
  end
  first, last = tonumber(first), last ~= "" and tonumber(last) or size - 1
  if first >= size then return "unsatisfiable" end
  if last < first then return nil end
  return first, last < size and last or size - 1
end

-- Whether a path has a segment that names no file luagw serves: "", ".", "..", a dotfile,
-- or a NUL byte anywhere.
local function hidden(path)
  return sfind(path, "\0", 1, true) or sfind(path, "/%.") or sfind(path, "\\", 1, true)
end

local function not_found(environ, start_response)
  start_response("404 Not Found", { { "Content-Type", "text/plain; charset=utf-8" } })
  return "Not Found\n"
end

local function new(dir, fallback, opts)
  if type(dir) ~= "string" then error("bad argument #1 to 'luagw.web.static' (a folder expected)", 2) end
  opts = opts or {}
  local root, err = realpath(dir)
  if not root then error(format("luagw.web.static: %s: %s", dir, err), 2) end
  local index = opts.index == nil and "index.html" or opts.index
  local cache_control = opts.max_age and format("max-age=%d", opts.max_age)
  fallback = fallback or not_found

  -- The real path, kind, size and time of the file `path` names inside the folder, or nil.
  local function find(path)
    local real = realpath(root .. path)
    if not real or (real ~= root and ssub(real, 1, #root + 1) ~= root .. "/") then return nil end
    local kind, size, mtime = file_info(real)
    if kind == "directory" and index then
      real = real .. "/" .. index
      kind, size, mtime = file_info(real)
    end
    if kind ~= "file" then return nil end
    return real, size, mtime
  end

  return function(environ, start_response)
    local path = environ.PATH_INFO or ""
    if path == "" then path = "/" end
    local real, size, mtime
    if not hidden(path) then real, size, mtime = find(path) end
    if not real then return fallback(environ, start_response) end
    local method = environ.REQUEST_METHOD
    if method ~= "GET" and method ~= "HEAD" then
      if fallback ~= not_found then return fallback(environ, start_response) end
      start_response("405 Method Not Allowed", { { "Allow", "GET, HEAD" }, { "Content-Type", "text/plain" } })
      return "Method Not Allowed\n"
    end
    if index and ssub(path, -1) ~= "/" and ssub(real, -#index - 1) == "/" .. index and ssub(path, -#index) ~= index then
      -- A folder named without its slash: relative links in its index need the slash.
      start_response("301 Moved Permanently", { { "Location", (environ.SCRIPT_NAME or "") .. path .. "/" } })
      return ""
    end
    local etag = format('"%x-%x"', mtime, size)
    local modified = http_date(mtime)
    local headers = { { "ETag", etag }, { "Last-Modified", modified } }
    if cache_control then headers[#headers + 1] = { "Cache-Control", cache_control } end
    local none_match = environ.HTTP_IF_NONE_MATCH
    local since = not none_match and parse_http_date(environ.HTTP_IF_MODIFIED_SINCE)
    if (none_match and matches(none_match, etag)) or (since and mtime <= since) then
      start_response("304 Not Modified", headers)
      return ""
    end
    headers[#headers + 1] = { "Content-Type", content_type(real) }
    headers[#headers + 1] = { "Accept-Ranges", "bytes" }
    local if_range = environ.HTTP_IF_RANGE
    local first, last
    if method == "GET" and (not if_range or if_range == etag or if_range == modified) then
      first, last = byte_range(environ.HTTP_RANGE, size)
    end
    if first == "unsatisfiable" then
      headers[#headers + 1] = { "Content-Range", format("bytes */%d", size) }
      start_response("416 Range Not Satisfiable", headers)
      return ""
    elseif first then
      headers[#headers + 1] = { "Content-Range", format("bytes %d-%d/%d", first, last, size) }
      headers[#headers + 1] = { "Content-Length", tostring(last - first + 1) }
      start_response("206 Partial Content", headers)
      return file_wrapper(real, nil, first, last - first + 1)
    end
    headers[#headers + 1] = { "Content-Length", tostring(size) }
    start_response("200 OK", headers)
    return file_wrapper(real)
  end
end

return setmetatable({ new = new, types = TYPES, content_type = content_type, http_date = http_date,
                      parse_http_date = parse_http_date, byte_range = byte_range },
                    { __call = function(_, ...) return new(...) end })
