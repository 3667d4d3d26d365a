-- nginx's statuses as OpenResty code sees them (luagw.ngx's request API): the `ngx.HTTP_*`
-- constants (statuses, and the methods as nginx's bit flags), the status lines nginx writes
-- ("302 Moved Temporarily"), and the pages nginx answers `ngx.exit(status)` with before any
-- output (its special responses), signed "luagw" where nginx signs "nginx/VERSION".
local format, pairs = string.format, pairs

local M = {}

M.constants = {
  HTTP_CONTINUE = 100, HTTP_SWITCHING_PROTOCOLS = 101, HTTP_OK = 200, HTTP_CREATED = 201,
  HTTP_ACCEPTED = 202, HTTP_NO_CONTENT = 204, HTTP_PARTIAL_CONTENT = 206, HTTP_SPECIAL_RESPONSE = 300,
  HTTP_MOVED_PERMANENTLY = 301, HTTP_MOVED_TEMPORARILY = 302, HTTP_SEE_OTHER = 303, HTTP_NOT_MODIFIED = 304,
  HTTP_TEMPORARY_REDIRECT = 307, HTTP_PERMANENT_REDIRECT = 308, HTTP_BAD_REQUEST = 400,
  HTTP_UNAUTHORIZED = 401, HTTP_PAYMENT_REQUIRED = 402, HTTP_FORBIDDEN = 403, HTTP_NOT_FOUND = 404,
  HTTP_NOT_ALLOWED = 405, HTTP_NOT_ACCEPTABLE = 406, HTTP_REQUEST_TIMEOUT = 408, HTTP_CONFLICT = 409,
  HTTP_GONE = 410, HTTP_UPGRADE_REQUIRED = 426, HTTP_TOO_MANY_REQUESTS = 429, HTTP_CLOSE = 444,
  HTTP_ILLEGAL = 451, HTTP_INTERNAL_SERVER_ERROR = 500, HTTP_NOT_IMPLEMENTED = 501,
  HTTP_METHOD_NOT_IMPLEMENTED = 501, HTTP_BAD_GATEWAY = 502, HTTP_SERVICE_UNAVAILABLE = 503,
  HTTP_GATEWAY_TIMEOUT = 504, HTTP_VERSION_NOT_SUPPORTED = 505, HTTP_INSUFFICIENT_STORAGE = 507,
  HTTP_GET = 2, HTTP_HEAD = 4, HTTP_POST = 8, HTTP_PUT = 16, HTTP_DELETE = 32, HTTP_MKCOL = 64,
  HTTP_COPY = 128, HTTP_MOVE = 256, HTTP_OPTIONS = 512, HTTP_PROPFIND = 1024, HTTP_PROPPATCH = 2048,
  HTTP_LOCK = 4096, HTTP_UNLOCK = 8192, HTTP_PATCH = 16384, HTTP_TRACE = 32768,
}

-- nginx's reason phrases (ngx_http_status_lines); other codes get luagw's.
local REASONS = {
  [200] = "OK", [201] = "Created", [202] = "Accepted", [204] = "No Content", [206] = "Partial Content",
  [301] = "Moved Permanently", [302] = "Moved Temporarily", [303] = "See Other", [304] = "Not Modified",
  [307] = "Temporary Redirect", [308] = "Permanent Redirect", [400] = "Bad Request", [401] = "Unauthorized",
  [402] = "Payment Required", [403] = "Forbidden", [404] = "Not Found", [405] = "Not Allowed",
  [406] = "Not Acceptable", [407] = "Proxy Authentication Required", [408] = "Request Time-out",
  [409] = "Conflict", [410] = "Gone", [411] = "Length Required", [412] = "Precondition Failed",
  [413] = "Request Entity Too Large", [414] = "Request-URI Too Large", [415] = "Unsupported Media Type",
  [416] = "Requested Range Not Satisfiable", [421] = "Misdirected Request", [429] = "Too Many Requests",
  [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
  [503] = "Service Temporarily Unavailable", [504] = "Gateway Time-out", [505] = "HTTP Version Not Supported",
  [507] = "Insufficient Storage",
}

local lines = {}
for code, reason in pairs(REASONS) do lines[code] = code .. " " .. reason end

-- The status line of `code` (a string for start_response), or the code itself when nginx has none.
function M.line(code)
  return lines[code] or code
end

-- The statuses nginx has a page for, and the page's title (ngx_http_error_pages).
local TITLES = {
  [301] = "301 Moved Permanently", [302] = "302 Found", [303] = "303 See Other",
  [307] = "307 Temporary Redirect", [308] = "308 Permanent Redirect", [401] = "401 Authorization Required",
}
for code = 400, 429 do
  if REASONS[code] and not TITLES[code] then TITLES[code] = lines[code] end
end
for code = 500, 507 do
  if REASONS[code] then TITLES[code] = lines[code] end
end

local pages = {}

-- The body of nginx's page for `code`, or nil when it sends none (204, 304, 418...).
function M.page(code)
  local page = pages[code]
  if page == nil and TITLES[code] then
    local title = TITLES[code]
    page = format("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n"
      .. "<hr><center>luagw</center>\r\n</body>\r\n</html>\r\n", title, title)
    pages[code] = page
  end
  return page
end

return M
