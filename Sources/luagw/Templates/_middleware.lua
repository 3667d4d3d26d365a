-- _middleware.lua: wraps every script of this folder and below (files starting with _ are
-- never mounted). This one adds a header to every answer of the scripts.
return function(app, info)
  return function(environ, start_response)
    return app(environ, function(status, headers, exc_info)
      headers[#headers + 1] = { "X-Content-Type-Options", "nosniff" }
      return start_response(status, headers, exc_info)
    end)
  end
end
