-- A form that echoes what was posted: GET /form shows it, POST /form lists the fields.
-- luagw.web.request reads the body from wsgi.input when first asked (the server streams it;
-- nothing is read until then) and parses both encodings a browser sends: urlencoded, and
-- multipart/form-data (the second button), where a file field arrives as req.files.
local request = require "luagw.web.request"

local function escape_html(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local style = [[
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  label { display: block; margin: .6rem 0; }
  input { font: inherit; padding: .2rem .4rem; margin-left: .5rem; }
  button { font: inherit; margin: .8rem .5rem 0 0; }
</style>
]]

local page = [[
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A form</title>]] .. style .. [[</head><body>
<h1>A form</h1>
<form method="post" action="/form">
  <label>Name <input name="name" autocomplete="name"></label>
  <label>Favourite colour <input name="color"></label>
  <label>A file (sent with multipart only) <input type="file" name="attachment"></label>
  <button>Send (urlencoded)</button>
  <button formenctype="multipart/form-data">Send as multipart/form-data</button>
</form>
<p><a href="/">All examples</a></p>
</body></html>
]]

return function(environ, start_response)
  if environ.REQUEST_METHOD ~= "POST" then
    start_response("200 OK", { {"Content-Type", "text/html; charset=utf-8"} })
    return page
  end
  local req = request(environ)
  local out = { "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Posted</title>", style,
                "</head><body><h1>Posted as ", escape_html((req.headers["content-type"] or "?"):match("^[^;]*")),
                "</h1><ul>" }
  local names = {}
  for name in pairs(req.form) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    out[#out + 1] = "<li>" .. escape_html(name) .. " = " .. escape_html(req.form[name]) .. "</li>"
  end
  for name, file in pairs(req.files) do                 -- each { filename, type, size, path }
    if file.filename ~= "" then
      out[#out + 1] = ("<li>%s: file %s, %d bytes</li>"):format(escape_html(name), escape_html(file.filename), file.size)
    end
  end
  out[#out + 1] = '</ul><p><a href="/form">Back to the form</a></p></body></html>'
  start_response("200 OK", { {"Content-Type", "text/html; charset=utf-8"} })
  return out                                          -- an array of strings: the server joins them
end
