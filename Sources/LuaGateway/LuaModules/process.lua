-- The process is the server's (SPEC 5): under `luagw serve` no application ends it. The
-- prelude runs this in every state but `luagw cgi`'s (whose one request is the process, and
-- keeps the standard os.exit): `os.exit` raises an error instead, which names the caller's
-- file and line, as any error of the application does (500 in a request; a script that calls
-- it while it loads fails to load).
local error = error

function os.exit()
  error("os.exit: an application cannot end the server (luagw serve); return a response or raise an error", 2)
end

return {}
