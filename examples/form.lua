-- A form that echoes what was posted: GET /form shows it, POST /form answers the fields.
-- It reads the body with wsgi.input (the server streams it; nothing is read until you ask).
local function unescape(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

local function escape_html(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local page = [[
<!doctype html>
<form method="post">
  <input name="name" placeholder="name"> <input name="color" placeholder="color">
  <button>Send</button>
</form>
]]

return function(environ, start_response)
  if environ.REQUEST_METHOD ~= "POST" then
    start_response("200 OK", { {"Content-Type", "text/html; charset=utf-8"} })
    return page
  end
  local body = environ["wsgi.input"]:read()          -- the whole (urlencoded) body
  local out = { "<!doctype html><ul>" }
  for key, value in body:gmatch("([^&=]+)=([^&]*)") do
    out[#out + 1] = "<li>" .. escape_html(unescape(key)) .. " = " .. escape_html(unescape(value)) .. "</li>"
  end
  out[#out + 1] = "</ul>"
  start_response("200 OK", { {"Content-Type", "text/html; charset=utf-8"} })
  return out                                          -- an array of strings: the server joins them
end
