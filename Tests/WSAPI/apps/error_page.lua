-- An application's own error page: status as a string, the page as one chunk.
return {
  run = function(wsapi_env)
    local page = "<html><body><h1>Something broke</h1><p>" .. wsapi_env.REQUEST_METHOD .. "</p></body></html>\n"
    return "500 Internal Server Error", { ["Content-Type"] = "text/html", ["Content-Length"] = tostring(#page) },
      coroutine.wrap(function() coroutine.yield(page) end)
  end,
}
