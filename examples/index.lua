-- The root: GET / lists the examples, as a page with links for a browser (Accept: text/html)
-- and as plain lines for curl. index.lua serves "/" and every path no other script claims:
-- here, a 204 for the browser's /favicon.ico and a 404 for the rest.
local examples = {
  { "hello", "the smallest application" },
  { "form", "a labelled form, posted urlencoded or as multipart/form-data" },
  { "upload", "an upload page; or curl -T bigfile: counted in 64 KiB blocks, in bounded memory" },
  { "stream?n=10", "a generator streaming one line every 200 ms" },
  { "environ/a/b?x=1", "the request's environ" },
  { "dashboard", "luagw.shared, luagw.http and luagw.sleep, none blocking" },
  { "notes.html", "a notes service: a router, JSON, gzip, a page from public/" },
  { "chat.html", "a chat room over WebSockets, across every worker (luagw.websocket, luagw.shared)" },
}

local function escape_html(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local function page()
  local out = { [[
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>luagw examples</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  a { color: #0645ad; font-family: ui-monospace, monospace; }
  li { margin: .4rem 0; }
  small { color: #666; }
</style></head><body>
<h1>luagw examples</h1>
<p>Each page is one Lua script in <code>examples/</code>; save one and reload the page.</p>
<ul>
]] }
  for _, example in ipairs(examples) do
    out[#out + 1] = ('<li><a href="/%s">/%s</a> <small>%s</small></li>\n')
      :format(escape_html(example[1]), escape_html(example[1]), escape_html(example[2]))
  end
  out[#out + 1] = "</ul>\n</body></html>\n"
  return out
end

local function lines()
  local out = { "luagw examples:\n" }
  for _, example in ipairs(examples) do out[#out + 1] = ("  /%-18s %s\n"):format(example[1], example[2]) end
  return out
end

return function(environ, start_response)
  local path = environ.PATH_INFO
  if path == "/favicon.ico" then
    start_response(204, {})
    return nil
  end
  if path ~= "/" and path ~= "" then
    start_response("404 Not Found", { {"Content-Type", "text/plain; charset=utf-8"} })
    return "no such example: see /\n"
  end
  if (environ.HTTP_ACCEPT or ""):find("text/html", 1, true) then
    start_response(200, { {"Content-Type", "text/html; charset=utf-8"} })
    return page()
  end
  start_response(200, { {"Content-Type", "text/plain; charset=utf-8"} })
  return lines()
end
