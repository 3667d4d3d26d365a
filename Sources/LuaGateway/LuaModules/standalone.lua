-- luagw's Lua modules outside the server, in plain `lua5.4` (for tests of an application:
-- luagw.test). `luagw lua-path` writes every module of luagw into one folder, this file among
-- them, and a file per public name (`luagw/web/router.lua`, ...) that loads the module through
-- here: `LUA_PATH="$(luagw lua-path)/?.lua;;" lua5.4 _tests/app_test.lua`.
--
-- It gives the modules what the server gives them, in Lua: the helpers `C` (what needs the
-- server, such as luagw.sleep, sockets or gzip, is not here) and `need`, which runs a module of
-- this folder once with them. `install()` also lets `require` find the public names.
local _, file = ...
local type, error, loadfile, setmetatable, require = type, error, loadfile, setmetatable, require
local open, running = io.open, coroutine.running
local sfind, ssub, gsub = string.find, string.sub, string.gsub

local dir = type(file) == "string" and file:match("^(.*/)") or "./"

local function read_version()
  local f = open(dir .. "VERSION")
  if not f then return "dev" end
  local version = f:read("l")
  f:close()
  return version or "dev"
end

local C = {
  sentinel = {},
  version = read_version(),
  socket_timeout = 60,
  concurrent = false,
  protocol = { READ = 1, SEND = 2, FILE = 3, WAIT = 4, DONE = 1, FAILED = 2, GONE = 0, GO_ON = 1, STOP = 2,
               HAS_DATE = 1, HAS_SERVER = 2, SLEEP = 1 },
  traceback = debug.traceback,
  set_route = function() end,
}

function C.safe(s) return not sfind(s, "[\r\n%z]") end

function C.log(id, line, mount)
  io.stderr:write("[", mount or "-", "] ", id or "-", ": ", line, "\n")
end

function C.gzip_stream()
  error("luagw.web.gzip compresses only inside luagw (luagw serve, luagw test)", 2)
end

function C.regex_library()
  local function outside() error("ngx.re matches only inside luagw (luagw serve, luagw test)", 2) end
  return { options = outside, compile = outside, match = outside, find = outside, sub = outside }
end

-- The running request's record, one per coroutine (the main chunk's outside any).
local records = setmetatable({}, { __mode = "k" })
function C.current()
  local co = running()
  local r = records[co]
  if not r then r = { thread = co, serial = 0 }; records[co] = r end
  return r
end

-- stat(2) as far as plain Lua can: "file" or "directory", the size; no times (0).
function C.file_info(path)
  local f, err = open(path, "rb")
  if not f then return nil, err end
  local _, failed = f:read(1)  -- a directory opens, but does not read
  local size = not failed and f:seek("end")
  f:close()
  if not size then return "directory", 0, 0 end
  return "file", size, 0
end

-- The path without repeated or trailing slashes, when it exists (symbolic links are not
-- followed: plain Lua cannot see them).
function C.realpath(path)
  local f, err = open(path, "rb")
  if not f then return nil, err end
  f:close()
  path = gsub(path, "//+", "/")
  if #path > 1 and ssub(path, -1) == "/" then path = ssub(path, 1, -2) end
  return path
end

local loaded = {}

-- Runs luagw's module `name` of this folder once, with the helpers; returns its table.
local function need(name)
  local m = loaded[name]
  if m == nil then
    local chunk, err = loadfile(dir .. name .. ".lua")
    if not chunk then error("luagw has no module " .. name .. " (" .. err .. ")", 2) end
    m = chunk(C, need)
    loaded[name] = m
  end
  return m
end

local M = { C = C, need = need }

-- Lets `require` find luagw's public modules (`luagw`, `luagw.*`) in this folder.
function M.install()
  if M.installed then return end
  M.installed = true
  table.insert(package.searchers, 2, function(name)
    if name ~= "luagw" and ssub(name, 1, 6) ~= "luagw." then return nil end
    local f = open(dir .. name .. ".lua")
    if not f then return "\n\tno module '" .. name .. "' among luagw's (" .. dir .. ")" end
    f:close()
    return function() return need(name) end, dir .. name .. ".lua"
  end)
end

return M
