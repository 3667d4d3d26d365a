-- `--sandbox` (SPEC 5): what applications may no longer do. The prelude runs this in every
-- state when the flag is on, before any script (and before scripts.lua adds its searcher):
-- * `os.execute`, `io.popen`, `os.exit` and `package.loadlib` raise an error that names the flag;
-- * `require` loads no C module (a `.so` of package.cpath: that is loadlib), but for lua-cjson,
--   which luagw's own JSON (json.lua) uses;
-- * `io.open` for writing (modes with w, a or +), `io.output(path)`, `os.rename` and `os.remove`
--   reach only the served directory and the system's temporary directory (TMPDIR, and /tmp),
--   paths resolved (C.write_target: `..` and symbolic links cannot lead out); elsewhere they fail
--   as a refused write does: `nil, message, 13` (EACCES). Reading stays allowed everywhere.
local C, need = ...
local write_target, realpath = C.write_target, C.realpath
local error, format, type, ipairs, tostring = error, string.format, type, ipairs, tostring
local sfind, ssub, match = string.find, string.sub, string.match
local open, output, rename, remove, getenv = io.open, io.output, os.rename, os.remove, os.getenv
local searchpath = package.searchpath

local function removed(name)
  return function()
    error(name .. ": removed by --sandbox (the server runs with --sandbox)", 2)
  end
end
os.execute, io.popen, os.exit, package.loadlib =
  removed("os.execute"), removed("io.popen"), removed("os.exit"), removed("package.loadlib")

-- The C searchers (package.searchers 3 and 4) find nothing; a C module that is there is an error
-- that says why it is not loaded.
local searchers = package.searchers
for i = 3, 4 do
  local original = searchers[i]
  searchers[i] = function(name)
    local root = match(name, "^[^.]*")
    if root == "cjson" then return original(name) end
    local file = searchpath(name, package.cpath) or searchpath(root, package.cpath)
    if file then error(format("module '%s': C modules (%s) are removed by --sandbox", name, file), 0) end
    return "\n\tno C module under --sandbox"
  end
end

-- The resolved directories where files may be written, found at the first write (the served
-- directory is set after this runs).
local roots

local function writable_roots()
  if not roots then
    roots = {}
    -- /tmp also when TMPDIR is elsewhere: os.tmpname makes its files there (uploads: luagw.web.request).
    for _, dir in ipairs({ need("scripts").root, getenv("TMPDIR") or "/tmp", "/tmp" }) do
      roots[#roots + 1] = realpath(dir)
    end
  end
  return roots
end

-- nil when `path` may be written (renamed, removed), else the failure's three results.
local function refusal(path, follow)
  local target = type(path) == "string" and write_target(path, follow)
  if target then
    for _, root in ipairs(writable_roots()) do
      if target == root or ssub(target, 1, #root + 1) == root .. "/" or root == "/" then return nil end
    end
  end
  return format("%s: --sandbox allows writes only in the served directory and the temporary directory",
    tostring(path)), 13
end

function io.open(path, mode)
  if type(mode) == "string" and sfind(mode, "[wa+]") then
    local message, code = refusal(path, true)
    if message then return nil, message, code end
  end
  return open(path, mode)
end

function io.output(file)
  if type(file) == "string" then
    local message = refusal(file, true)
    if message then error(message, 2) end
  end
  return output(file)
end

function os.rename(from, to)
  local message, code = refusal(from, false)
  if not message then message, code = refusal(to, false) end
  if message then return nil, message, code end
  return rename(from, to)
end

function os.remove(path)
  local message, code = refusal(path, false)
  if message then return nil, message, code end
  return remove(path)
end

return {}
