-- A small harness for plain-Lua tests of luagw's own modules (run by scripts/test with
-- lua5.4, outside the server): loads a module file as the prelude would, with fake C
-- helpers, and counts failed checks.
local harness = { failures = 0 }

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "."
local modules = here .. "/../../Sources/LuaGateway/LuaModules/"

-- The helpers of CLuaGatewayBridge/helpers.c, faked in Lua.
harness.C = {
  sentinel = {},
  version = "test",
  socket_timeout = 60,
  protocol = { READ = 1, SEND = 2, FILE = 3, WAIT = 4, DONE = 1, FAILED = 2, GONE = 0, GO_ON = 1, STOP = 2,
               HAS_DATE = 1, HAS_SERVER = 2, SLEEP = 1 },
  safe = function(s) return not s:find("[\r\n%z]") end,
  log = function() end,
  traceback = debug.traceback,
  file_info = function() return nil, "no files here" end,
  realpath = function(p) return p end,
  regex_library = function() return {} end,  -- ngx.re is C on PCRE2: NgxRegexTests runs it
}

-- C.current: the running request's record, one per coroutine (the main chunk's, outside any).
local records = setmetatable({}, { __mode = "k" })
function harness.C.current()
  local co = coroutine.running()
  local r = records[co]
  if not r then r = { thread = co, serial = 0 }; records[co] = r end
  return r
end

-- Runs luagw's module `name` with the fake helpers; returns its table.
function harness.load(name)
  local chunk = assert(loadfile(modules .. name .. ".lua"))
  return chunk(harness.C, harness.load)
end

function harness.check(condition, what)
  if not condition then
    harness.failures = harness.failures + 1
    io.stderr:write("FAIL: ", what, "\n")
  end
end

function harness.equal(actual, expected, what)
  harness.check(actual == expected, string.format("%s: expected %q, got %q", what, tostring(expected), tostring(actual)))
end

-- Exits non-zero when a check failed.
function harness.finish(name)
  if harness.failures > 0 then
    io.stderr:write(name, ": ", harness.failures, " failed\n")
    os.exit(1)
  end
  print(name .. ": ok")
end

return harness
