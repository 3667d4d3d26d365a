-- Shows the request's environ, sorted: GET /environ/any/path?x=1
-- Handy for seeing what SCRIPT_NAME, PATH_INFO and the HTTP_* keys look like.
return function(environ, start_response)
  local keys = {}
  for key in pairs(environ) do keys[#keys + 1] = key end
  table.sort(keys)
  local lines = {}
  for _, key in ipairs(keys) do
    local value = environ[key]
    if key == "wsgi.version" then value = value[1] .. "." .. value[2] end
    lines[#lines + 1] = key .. " = " .. tostring(value) .. "\n"
  end
  environ["wsgi.errors"]:write("environ dumped for " .. environ.REMOTE_ADDR .. "\n")  -- goes to the error log
  start_response(200, { {"Content-Type", "text/plain; charset=utf-8"} })
  return lines
end
