-- Wraps every example (a `_middleware.lua` wraps the scripts of its folder: docs/middleware.md).
-- A browser that gets a text/plain answer (hello, environ, stream, dashboard...) gets it as a
-- page with a link back to the index; curl gets the text as it is. luagw.web.filter rewrites the
-- body as it streams, so /stream still shows its lines one by one.
local filter = require "luagw.web.filter"

local function escape_html(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local TOP = [[
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  a { color: #0645ad; }
  pre { white-space: pre-wrap; background: #f6f6f6; padding: .8rem; }
</style></head><body>
<p><a href="/">All examples</a></p>
<pre>]]
local BOTTOM = "</pre>\n</body></html>\n"

-- The responses whose page has begun, by their head (one per response; weak: gone with it).
local begun = setmetatable({}, { __mode = "k" })

local function as_page(chunk, environ, headers)
  if not (environ.HTTP_ACCEPT or ""):find("text/html", 1, true) then return chunk end
  local out = chunk and escape_html(chunk) or BOTTOM
  if not begun[headers] then
    begun[headers] = true
    for _, header in ipairs(headers) do
      if header[1]:lower() == "content-type" then header[2] = "text/html; charset=utf-8" end
    end
    out = TOP:format(escape_html(environ.SCRIPT_NAME .. environ.PATH_INFO)) .. out
  end
  return out
end

return function(app)
  return filter(app, as_page, { types = { "text/plain" } })
end
