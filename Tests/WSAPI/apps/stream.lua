-- A body streamed by an iterator, with no Content-Length: five lines, one a call.
return {
  run = function(wsapi_env)
    local i = 0
    local function next_line()
      i = i + 1
      if i <= 5 then return "line " .. i .. " of " .. wsapi_env.PATH_INFO .. "\n" end
    end
    return "200 OK", { ["Content-Type"] = "text/plain", ["X-Streamed"] = "yes" }, next_line
  end,
}
