-- error({404, message}): WSAPI's way to answer 404 from anywhere in the application.
return {
  run = function(wsapi_env)
    if wsapi_env.PATH_INFO ~= "/exists" then error({ 404, "no page at " .. wsapi_env.PATH_INFO }) end
    return 200, { ["Content-Type"] = "text/plain" }, coroutine.wrap(function() coroutine.yield("here\n") end)
  end,
}
