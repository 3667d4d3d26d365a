-- Uploads. GET /upload shows a page with a file form; the browser posts multipart/form-data,
-- parsed by luagw.web.request (each file streamed to a temporary file, removed at the end of
-- the request). Any other body, e.g. curl -T bigfile http://127.0.0.1:8080/upload, is counted
-- 64 KiB at a time, so a 1 GiB upload needs no more memory than one block: while the script is
-- not reading, the server stops reading the socket.
local request = require "luagw.web.request"

local page = [[
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Upload</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  label { display: block; margin: .6rem 0; }
  button { font: inherit; margin-top: .8rem; }
</style></head><body>
<h1>Upload a file</h1>
<form method="post" action="/upload" enctype="multipart/form-data">
  <label>A file <input type="file" name="file"></label>
  <button>Upload</button>
</form>
<p>Or from a shell: <code>curl -T bigfile http://HOST/upload</code></p>
<p><a href="/">All examples</a></p>
</body></html>
]]

local function escape_html(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

-- Reads the whole body in 64 KiB blocks; its size.
local function count(input)
  local total = 0
  while true do
    local block = input:read(65536)
    if not block then return total end             -- nil: the end of the body
    total = total + #block
  end
end

return function(environ, start_response)
  if environ.REQUEST_METHOD == "GET" or environ.REQUEST_METHOD == "HEAD" then
    start_response("200 OK", { {"Content-Type", "text/html; charset=utf-8"} })
    return page
  end
  if (environ.CONTENT_TYPE or ""):find("^multipart/form%-data") then
    local out = { "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Uploaded</title></head>",
                  "<body style=\"font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto\">",
                  "<h1>Uploaded</h1><ul>" }
    local file = request(environ).files.file       -- { filename, type, size, path }, or nil
    if file then
      out[#out + 1] = ("<li>%s (%s): %d bytes</li>"):format(escape_html(file.filename), escape_html(file.type), file.size)
    end
    out[#out + 1] = '</ul><p><a href="/upload">Upload more</a></p></body></html>'
    start_response("200 OK", { {"Content-Type", "text/html; charset=utf-8"} })
    return out
  end
  local total = count(environ["wsgi.input"])
  start_response("200 OK", { {"Content-Type", "text/plain; charset=utf-8"} })
  return ("received %d bytes\n"):format(total)
end
