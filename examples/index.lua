-- The root: GET / lists the examples. index.lua serves "/" (and any path no other script claims).
local examples = { "hello", "form", "stream?n=5", "upload", "environ/a/b?x=1", "dashboard", "notes.html" }

return function(environ, start_response)
  if environ.PATH_INFO ~= "/" and environ.PATH_INFO ~= "" then
    start_response("404 Not Found", { {"Content-Type", "text/plain"} })
    return "no such example\n"
  end
  local lines = { "luagw examples:\n" }
  for _, name in ipairs(examples) do lines[#lines + 1] = "  /" .. name .. "\n" end
  start_response(200, { {"Content-Type", "text/plain; charset=utf-8"} })
  return lines
end
