-- The scripts of a state (SPEC 3): each loaded in its own global environment, the
-- application it returns kept by index; `require` looks in the script directory first,
-- in the sources read with the scripts (so every state of a generation runs the same
-- code), then on disk.
local C, need = ...
local traceback = C.traceback
local type, error, xpcall, load, ipairs, loadfile, assert = type, error, xpcall, load, ipairs, loadfile, assert
local setmetatable, getmetatable, tonumber, pairs = setmetatable, getmetatable, tonumber, pairs
local ssub, format, gsub, gmatch, smatch, concat = string.sub, string.format, string.gsub, string.gmatch, string.match, table.concat

-- By mount index: the application, the error that kept it from loading, its mount path
-- (for the log) and its file (environ's SCRIPT_FILENAME).
local M = { apps = {}, load_errors = {}, mounts = {}, files = {}, root = "." }

-- Whether `v` can be called (a function, or a table with __call).
function M.is_callable(v)
  if type(v) == "function" then return true end
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__call ~= nil
end

local modules, root = {}, "."

-- Compiles a script or module as `lua` and luaL_loadfile do: a first line that starts with `#`
-- (`#!/usr/bin/env wsapi.cgi`, as Orbit's examples begin) is skipped, its line kept empty so
-- that line numbers stay the file's.
local function compile(source, name, env)
  if ssub(source, 1, 1) == "#" then source = gsub(source, "^[^\n]*", "", 1) end
  if env then return load(source, name, "t", env) end
  return load(source, name, "t")  -- an explicit nil would be the chunk's _ENV
end

-- The script directory `dir`, searched first; then `lua_path` and `lua_cpath` (directories,
-- one a line: --lua-path, --lua-cpath, SPEC 9), then Lua's defaults. `compat51` (1 with
-- --compat51) gives every script the Lua 5.1 globals of luagw.compat51.
-- package.path without the served directory: where a script's namesake module is looked for.
local beyond_root = package.path

function M.set_root(dir, lua_path, lua_cpath, compat51)
  root, M.root = dir, dir
  local path = ""
  for extra in gmatch(lua_path or "", "[^\n]+") do path = path .. extra .. "/?.lua;" .. extra .. "/?/init.lua;" end
  beyond_root = path .. package.path
  package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" .. beyond_root
  local cpath = ""
  for extra in gmatch(lua_cpath or "", "[^\n]+") do cpath = cpath .. extra .. "/?.so;" end
  package.cpath = cpath .. package.cpath
  if compat51 == 1 then require("luagw.compat51") end
end

function M.add_module(relative, source)
  modules[relative] = source
end

-- The script being loaded as an application now (its file), to catch one that requires itself.
local loading = nil

local function directory_searcher(name)
  local base = gsub(name, "%.", "/")
  for _, relative in ipairs({ base .. ".lua", base .. "/init.lua" }) do
    local source = modules[relative]
    if source then
      local file = root .. "/" .. relative
      if file == loading then
        -- A launcher named after its module (Orbit's hello.lua doing require "hello"): the
        -- served directory comes first, so it would load itself, forever. The module is
        -- looked for beyond it (--lua-path, the system's paths) instead.
        local found = package.searchpath(name, beyond_root)
        if found then return assert(loadfile(found)), found end
        error(format("module '%s' is this script itself (%s), and no other module '%s' is on --lua-path "
          .. "or the system's path: a script that requires itself would load forever", name, file, name), 0)
      end
      local chunk, err = compile(source, "@" .. file)
      if not chunk then
        error(format("error loading module '%s' from file '%s':\n\t%s", name, file, err), 0)
      end
      return chunk, file
    end
  end
  return "\n\tno module '" .. name .. "' among the scripts read"
end
table.insert(package.searchers, 2, directory_searcher)

local apps, load_errors, is_callable = M.apps, M.load_errors, M.is_callable

-- Runs `source` (chunk name `name`, "@" and its file) in a global environment of its own,
-- with its file as `...` (as `require` gives a module its file); true and what it returned,
-- or false and the error with its traceback. With `lint` (--dev), a request that creates a
-- global in that environment is reported (the requests of a state share it).
local function run_chunk(source, name, lint)
  local env = setmetatable({}, { __index = _G })
  if lint == 1 then require("luagw.web.lint").watch_globals(env) end
  local chunk, err = compile(source, name, env)
  if not chunk then return false, err end
  return xpcall(chunk, traceback, ssub(name, 2))
end

-- The wrappers of `_middleware.lua` files (SPEC 8), by path relative to the root: each file
-- runs once per state, and its function wraps every script at or below its folder.
local wrappers = {}

local function wrapper(relative)
  local wrap = wrappers[relative]
  if wrap then return true, wrap end
  local file = root .. "/" .. relative
  local ok, result = run_chunk(modules[relative], "@" .. file)
  if not ok then return false, result end
  if not is_callable(result) then
    return false, format("%s: the middleware returned a %s; expected function(app, info)", file, type(result))
  end
  wrappers[relative] = result
  return true, result
end

-- `app` wrapped by `relative`'s middleware; true and the application, or false and the error.
local function wrap_once(app, relative, info)
  local ok, wrap = wrapper(relative)
  if not ok then return false, wrap end
  ok, app = xpcall(wrap, traceback, app, info)
  if ok and not is_callable(app) then
    ok, app = false, format("%s/%s: the middleware gave a %s for %s; expected an application (a function)",
      root, relative, type(app), info.path)
  end
  return ok, app
end

-- `app` wrapped by the middlewares listed in `middlewares` (relative paths, one a line,
-- innermost first); true and the application, or false and the error, which starts with
-- "middleware PATH: " (Reload/LastGoodVersions.swift reads it to keep that file's last good version).
local function wrap_app(app, middlewares, info)
  for relative in gmatch(middlewares, "[^\n]+") do
    local ok, wrapped = wrap_once(app, relative, info)
    if not ok then return false, format("middleware %s: %s", relative, wrapped) end
    app = wrapped
  end
  return true, app
end

-- A load error under --dev, with the lines around where it happened when that is a file of the
-- served directory: "file:LINE: message" gets two lines before and after, the line marked.
local function source_of(file)
  local prefix = root .. "/"
  if ssub(file, 1, #prefix) == prefix then return modules[ssub(file, #prefix + 1)] end
  if ssub(file, 1, 3) ~= "..." then return nil end
  local tail = ssub(file, 4)  -- Lua shortens a long file name from the left
  for relative, source in pairs(modules) do
    local full = prefix .. relative
    if ssub(full, -#tail) == tail then return source end
  end
end

local function with_excerpt(message)
  local file, line = smatch(message, "^(.-):(%d+):")
  local source = file and source_of(file)
  if not source then return message end
  local at, lines, number = tonumber(line), {}, 0
  for text in gmatch(source .. "\n", "([^\n]*)\n") do
    number = number + 1
    if number >= at - 2 and number <= at + 2 then
      lines[#lines + 1] = format("%s %4d | %s", number == at and ">" or " ", number, text)
    end
    if number > at + 2 then break end
  end
  return message .. "\n\n" .. concat(lines, "\n")
end

-- The name `require` knows the script `file` by: its path below the root, dots for slashes.
local function module_name(file)
  local relative = ssub(file, 1, #root + 1) == root .. "/" and ssub(file, #root + 2) or file
  return (gsub(gsub(relative, "%.lua$", ""), "/", "."))
end

-- Loads the script `source` (chunk name `name`) as the application of mount `index`, at
-- `mount` ("" for the root), wrapped by its `middlewares`, and by luagw.web.lint outside them
-- when `lint` is 1 (--dev); true, or false and the error (also kept, for the requests that
-- reach the script); or true and what it returned ("nothing", "a table"...) when that is no
-- application: the script is then a module only.
function M.load_app(index, source, name, mount, middlewares, lint)
  loading = ssub(name, 2)
  local ok, app = run_chunk(source, name, lint)
  loading = nil
  local wsapi = need("luagw.wsapi")  -- SPEC 9: a WSAPI application is served as it is
  if ok and app == nil then
    -- A Lua 5.1 module (`module("hello", package.seeall, orbit.new)`, as Orbit's examples are)
    -- returns nothing and leaves itself in package.loaded: wsapi.cgi serves it as `require` gives it.
    local loaded = package.loaded[module_name(ssub(name, 2))]
    if wsapi.is_app(loaded) then app = loaded end
  end
  if ok and wsapi.is_app(app) then app = wsapi.app(app) end
  if ok and not is_callable(app) then
    -- A script that returns something else is a module (an existing application's helper, an
    -- Orbit model): it is not mounted; its URL is served as if the file were not there.
    local what = app == nil and "nothing" or "a " .. type(app)
    load_errors[index] = format("%s returned %s, not an application: it is a module, not mounted", ssub(name, 2), what)
    return true, what
  end
  if ok and middlewares and middlewares ~= "" then
    ok, app = wrap_app(app, middlewares, { mount = mount ~= "" and mount or "/", path = ssub(name, 2) })
  end
  if not ok then
    if lint == 1 then app = with_excerpt(app) end
    load_errors[index] = app
    return false, app
  end
  if lint == 1 then app = require("luagw.web.lint")(app) end
  apps[index], M.mounts[index], M.files[index] = app, mount ~= "" and mount or "/", ssub(name, 2)
  return true
end

-- Serves the files of `dir` (`DIR/public/`, SPEC 8) as the application of mount `index`.
function M.load_public(index, dir)
  apps[index], M.mounts[index] = require("luagw.web.static")(dir), "public/"
end

return M
