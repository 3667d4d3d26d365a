-- The prelude: run once in every new state, before any script (Lua/Prelude.swift lists
-- the files, CLuaGatewayBridge/helpers.c keeps them). It receives the C helpers `C`; luagw's
-- other Lua files are compiled by `C.load(name)` when first needed and run as modules,
-- and returns what the server calls: serve (one request, as the body of the request
-- coroutine), load_app, set_root, add_module and load_public (scripts.lua), run_timer (timer.lua),
-- run_thread (thread.lua).
local C = ...

local loaded = {}

-- Runs one of luagw's own modules once, with the helpers and this function; returns its table.
local function need(name)
  local m = loaded[name]
  if m == nil then
    local chunk = C.load(name)
    if not chunk then error("luagw has no module " .. name, 2) end
    m = chunk(C, need)
    loaded[name] = m
  end
  return m
end

-- Requests make short-lived garbage: the generational collector suits it best.
collectgarbage("generational")

-- luagw's public modules (luagw, luagw.*) are found by `require` before any file of the
-- same name; the others are the prelude's own.
for _, name in ipairs(C.names) do
  if name == "luagw" or string.sub(name, 1, 6) == "luagw." then
    package.preload[name] = function() return need(name) end
  end
end

need("coroutines")
if not C.cgi then need("process") end  -- SPEC 5: no application ends or stalls the server
if not C.cgi then need("blocking") end -- a blocking library's calls are named when they hold the loop
if C.sandbox then need("sandbox") end     -- --sandbox, before scripts.lua adds its searcher
local scripts = need("scripts")
local driver = need("driver")
return driver.serve, scripts.load_app, scripts.set_root, scripts.add_module, need("timer").run, scripts.load_public,
  need("thread").run
