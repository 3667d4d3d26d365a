-- The scripts of a state (SPEC 3): each loaded in its own global environment, the
-- application it returns kept by index; `require` looks in the script directory first,
-- in the sources read with the scripts (so every state of a generation runs the same
-- code), then on disk.
local C = ...
local traceback = C.traceback
local type, error, xpcall, load, ipairs = type, error, xpcall, load, ipairs
local setmetatable, getmetatable = setmetatable, getmetatable
local ssub, format, gsub = string.sub, string.format, string.gsub

local M = { apps = {}, load_errors = {} }

-- Whether `v` can be called (a function, or a table with __call).
function M.is_callable(v)
  if type(v) == "function" then return true end
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__call ~= nil
end

local modules, root = {}, "."

function M.set_root(dir)
  root = dir
  package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" .. package.path
end

function M.add_module(relative, source)
  modules[relative] = source
end

local function directory_searcher(name)
  local base = gsub(name, "%.", "/")
  for _, relative in ipairs({ base .. ".lua", base .. "/init.lua" }) do
    local source = modules[relative]
    if source then
      local file = root .. "/" .. relative
      local chunk, err = load(source, "@" .. file, "t")
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

-- Loads the script `source` (chunk name `name`) as the application of mount `index`;
-- true, or false and the error (also kept, for the requests that reach the script).
function M.load_app(index, source, name)
  local env = setmetatable({}, { __index = _G })
  local chunk, err = load(source, name, "t", env)
  if not chunk then load_errors[index] = err; return false, err end
  local ok, app = xpcall(chunk, traceback)
  if not ok then load_errors[index] = app; return false, app end
  if not is_callable(app) then
    err = format("%s: the script returned a %s; expected the application (a function)", ssub(name, 2), type(app))
    load_errors[index] = err
    return false, err
  end
  apps[index] = app
  return true
end

return M
