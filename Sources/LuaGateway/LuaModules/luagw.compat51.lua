-- `require "luagw.compat51"` (SPEC 9; `--compat51` requires it in every state before the
-- scripts): the globals Lua 5.1-era code (WSAPI, Orbit, Kepler) calls and Lua 5.4 removed,
-- set in the state's global table so that every script and module sees them. What cannot
-- be emulated is listed in docs/wsapi.md. Returns the table of what it set.
local type, error, select, pairs, rawget, setmetatable, getmetatable, load = type, error, select, pairs, rawget,
  setmetatable, getmetatable, load
local getinfo, getupvalue, setupvalue, upvaluejoin = debug.getinfo, debug.getupvalue, debug.setupvalue,
  debug.upvaluejoin
local gmatch, format = string.gmatch, string.format
local G = _G

local M = {}

M.unpack = table.unpack

-- loadstring(s [, chunkname]): load without a mode or an environment.
function M.loadstring(s, chunkname)
  return load(s, chunkname)
end

-- The function a 5.1 `f` argument means: a function, or a stack level counted from the
-- caller of setfenv/getfenv (1: the function that called them).
local function function_of(f, name)
  if type(f) == "function" then return f end
  if type(f) ~= "number" or f < 1 then
    error(format("bad argument #1 to '%s' (a function or a level of 1 or more expected)", name), 3)
  end
  local info = getinfo(f + 2, "f")
  if not info then error(format("bad argument #1 to '%s' (invalid level)", name), 3) end
  return info.func
end

-- The index of f's _ENV upvalue, or nil when f reads no global (or is a C function).
local function env_index(f)
  local i = 1
  while true do
    local name = getupvalue(f, i)
    if name == "_ENV" then return i end
    if name == nil then return nil end
    i = i + 1
  end
end

-- getfenv([f]): the table f reads its globals from (_G for a function that reads none).
function M.getfenv(f)
  f = function_of(f or 1, "getfenv")
  local i = env_index(f)
  if not i then return G end
  local _, env = getupvalue(f, i)
  return env
end

-- setfenv(f, t): f reads its globals from t from now on. f gets an _ENV of its own, so the
-- functions that shared it (those of the same chunk) keep theirs, as in 5.1.
function M.setfenv(f, t)
  if type(t) ~= "table" then error("bad argument #2 to 'setfenv' (table expected)", 2) end
  f = function_of(f, "setfenv")
  local i = env_index(f)
  if not i then return f end  -- it reads no global: nothing to change
  upvaluejoin(f, i, function() return t end, 1)
  setupvalue(f, i, t)
  return f
end

-- package.seeall(m): m sees the globals it does not define.
local function seeall(m)
  local mt = getmetatable(m)
  if mt == nil then mt = {}; setmetatable(m, mt) end
  mt.__index = G
end

-- The table at dotted `name` in the globals, made along the way.
local function find_table(name)
  local t = G
  for part in gmatch(name, "[^%.]+") do
    local next_t = rawget(t, part)
    if next_t == nil then next_t = {}; t[part] = next_t end
    if type(next_t) ~= "table" then error(format("name conflict for module '%s'", name), 3) end
    t = next_t
  end
  return t
end

-- module(name, ...): the module table (package.loaded[name], else the global `name`, else a
-- new one) becomes the caller's global environment; each further argument is called with it
-- (package.seeall, orbit.new...). The caller is the chunk of the module: its functions share
-- its _ENV, so they all read their globals from the module table.
function M.module(name, ...)
  if type(name) ~= "string" then error("bad argument #1 to 'module' (string expected)", 2) end
  local m = package.loaded[name]
  if type(m) ~= "table" then
    m = find_table(name)
    package.loaded[name] = m
  end
  if m._NAME == nil then
    m._M, m._NAME, m._PACKAGE = m, name, name:match("^(.*%.)") or ""
  end
  local caller = getinfo(2, "f").func
  local i = env_index(caller)
  if i then setupvalue(caller, i, m) end
  for k = 1, select("#", ...) do
    local option = select(k, ...)
    option(m)
  end
  return m
end

local function getn(t) return #t end

local function ldexp(m, e) return m * 2.0 ^ e end

local function frexp(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = math.floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m, e = m / 2, e + 1 elseif math.abs(m) < 0.5 then m, e = m * 2, e - 1 end
  return m, e
end

for name, value in pairs(M) do G[name] = value end
package.seeall = seeall
package.loaders = package.loaders or package.searchers
table.getn = table.getn or getn
table.maxn = table.maxn or function(t)
  local n = 0
  for k in pairs(t) do if type(k) == "number" and k > n then n = k end end
  return n
end
math.mod = math.mod or math.fmod
math.pow = math.pow or function(x, y) return x ^ y end
math.ldexp = math.ldexp or ldexp
math.frexp = math.frexp or frexp
math.log10 = math.log10 or function(x) return math.log(x, 10) end
string.gfind = string.gfind or string.gmatch

return M
