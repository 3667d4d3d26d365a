-- `luagw.shared.NAME` (SPEC 7): dictionaries shared by every state and worker of the
-- process, kept in Swift (Shared/SharedDictionaries.swift) and reached through the C
-- function `C.shared`, which never yields: they work anywhere, even where Lua cannot yield.
-- OpenResty's ngx.shared.DICT methods and return values.
local C = ...
local P, call = C.protocol, C.shared
local GET, SET, ADD, REPLACE, INCR = P.SHARED_GET, P.SHARED_SET, P.SHARED_ADD, P.SHARED_REPLACE, P.SHARED_INCR
local TTL, EXPIRE, KEYS, FLUSH = P.SHARED_TTL, P.SHARED_EXPIRE, P.SHARED_KEYS, P.SHARED_FLUSH
local type, error, setmetatable, rawget, rawset = type, error, setmetatable, rawget, rawset
local format, unpack = string.format, string.unpack

local Dictionary = {}
Dictionary.__index = Dictionary

local function key_of(key, method)
  local t = type(key)
  if t ~= "string" and t ~= "number" then
    error(format("bad argument #1 to '%s' (a key, string or number, expected, got %s)", method, t), 3)
  end
  if key == "" then error(format("bad argument #1 to '%s' (the key is empty)", method), 3) end
  return key
end

function Dictionary:get(key)
  return call(GET, self.name, key_of(key, "get"))
end

function Dictionary:set(key, value, ttl)
  return call(SET, self.name, key_of(key, "set"), value, ttl)
end

function Dictionary:add(key, value, ttl)
  return call(ADD, self.name, key_of(key, "add"), value, ttl)
end

function Dictionary:replace(key, value, ttl)
  return call(REPLACE, self.name, key_of(key, "replace"), value, ttl)
end

function Dictionary:delete(key)
  call(SET, self.name, key_of(key, "delete"), nil)
  return true
end

function Dictionary:incr(key, n, init, init_ttl)
  if type(n) ~= "number" then error("bad argument #2 to 'incr' (a number expected)", 2) end
  return call(INCR, self.name, key_of(key, "incr"), n, init, init_ttl)
end

function Dictionary:ttl(key)
  return call(TTL, self.name, key_of(key, "ttl"))
end

function Dictionary:expire(key, ttl)
  if type(ttl) ~= "number" then error("bad argument #2 to 'expire' (a number of seconds expected)", 2) end
  return call(EXPIRE, self.name, key_of(key, "expire"), ttl)
end

-- Up to `max` keys (default 1024, 0: all), most recently used first.
function Dictionary:keys(max)
  local packed = call(KEYS, self.name, "", max or 1024)
  local keys, pos = {}, 1
  while pos <= #packed do
    keys[#keys + 1], pos = unpack("<s4", packed, pos)
  end
  return keys
end

function Dictionary:flush_all()
  call(FLUSH, self.name, "")
end

-- luagw.shared.NAME: any name works, the dictionary made on first use.
return setmetatable({}, {
  __index = function(self, name)
    if type(name) ~= "string" then return nil end
    local dictionary = rawget(self, name) or setmetatable({ name = name }, Dictionary)
    rawset(self, name, dictionary)
    return dictionary
  end,
})
