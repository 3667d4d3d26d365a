-- luagw.ngx's digests, encodings and argument helpers, and `ngx.config` (SPEC 7), with OpenResty's
-- names, arguments, results and messages (lua-nginx-module's C functions and resty.core's
-- wrappers): `md5`, `md5_bin`, `sha1_bin`, `hmac_sha1`, `crc32_short`/`crc32_long`,
-- `encode_base64`/`decode_base64`, `escape_uri`/`unescape_uri`, `quote_sql_str`, `encode_args`,
-- `decode_args`. luagw.ngx copies every field of this table into `ngx`.
local C, need = ...
local digest = need("digest")
local type, tostring, tonumber, error, next, select = type, tostring, tonumber, error, next, select
local format, gsub, find, sub, char = string.format, string.gsub, string.find, string.sub, string.char
local mtype, floor, concat = math.type, math.floor, table.concat

local M = {}

-- A number as LuaJIT writes it ("%.14g": 3.0 is "3").
local function number_text(v)
  return mtype(v) == "float" and format("%.14g", v) or tostring(v)
end

-- resty.core's coercion of a hashed or escaped value: nil and false are "", other values their tostring.
local function text(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return number_text(v) end
  return v and tostring(v) or ""
end

-- luaL_checklstring's: a string or a number, else a "bad argument" error.
local function checkstring(v, n, name)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return number_text(v) end
  error(format("bad argument #%d to '%s' (string expected, got %s)", n, name, t), 3)
end

local function arity(expected, message, ...)
  local n = select("#", ...)
  if n ~= expected then error(format(message, n), 3) end
end

function M.md5(s) return digest.md5(text(s)) end
function M.md5_bin(s) return digest.md5_bin(text(s)) end
function M.sha1_bin(s) return digest.sha1_bin(text(s)) end
function M.crc32_short(s) return digest.crc32(text(s)) end
M.crc32_long = M.crc32_short

function M.hmac_sha1(...)
  arity(2, "expecting 2 arguments, but got %d", ...)
  local key, s = ...
  return digest.hmac_sha1(checkstring(key, 1, "hmac_sha1"), checkstring(s, 2, "hmac_sha1"))
end

function M.encode_base64(s, no_padding)
  if no_padding and no_padding ~= true then
    error("bad no_padding: boolean expected, got " .. type(no_padding), 2)
  end
  return digest.encode_base64(text(s), no_padding)
end

-- nil when `s` is not base64.
function M.decode_base64(s)
  if type(s) ~= "string" then error("string argument only", 2) end
  return digest.decode_base64(s)
end

-- The bytes each escaping type of ngx.escape_uri leaves alone or writes as %XX: nginx's bitmaps
-- (ngx_http_lua_escape_uri), eight 32-bit words a type, a bit a byte. 0: a URI, 1: arguments,
-- 2: a URI component (the default), 3: HTML, 4: refresh, 5: memcached, 6: mail_auth.
local ALL = 0xffffffff
local BITMAPS = {
  [0] = { ALL, 0x80000029, 0, 0x80000000, ALL, ALL, ALL, ALL },
  { ALL, 0x80000829, 0, 0x80000000, ALL, ALL, ALL, ALL },
  { ALL, 0xfc00987d, 0x78000001, 0xb8000001, ALL, ALL, ALL, ALL },
  { ALL, 0x000000ad, 0, 0x80000000, ALL, ALL, ALL, ALL },
  { ALL, 0x00000085, 0, 0x80000000, ALL, ALL, ALL, ALL },
  { ALL, 0x00000021, 0, 0, 0, 0, 0, 0 },
  { ALL, 0x00000021, 0, 0, 0, 0, 0, 0 },
}
-- Per type, the replacement of every byte it escapes (for gsub).
local ESCAPES = {}
for kind, words in next, BITMAPS do
  local escapes = {}
  for c = 0, 255 do
    if (words[(c >> 5) + 1] >> (c & 31)) & 1 == 1 then escapes[char(c)] = format("%%%02X", c) end
  end
  ESCAPES[kind] = escapes
end
local COMPONENT = ESCAPES[2]

function M.escape_uri(s, kind)
  local escapes = COMPONENT
  if kind ~= nil then
    if type(kind) ~= "number" then error('"type" is not a number', 2) end
    escapes = ESCAPES[kind]
    if not escapes then error('"type" ' .. number_text(kind) .. " out of range", 2) end
  end
  return (gsub(text(s), ".", escapes))
end

local function hex_byte(h) return char(tonumber(h, 16)) end

-- "+" is a space, %XX a byte; a "%" not followed by two hex digits stays as it is.
local function unescape(s)
  return (gsub(gsub(s, "+", " "), "%%(%x%x)", hex_byte))
end

function M.unescape_uri(s) return unescape(text(s)) end

local SQL_ESCAPES = { ["\0"] = "\\0", ["\b"] = "\\b", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
                      ["\26"] = "\\Z", ["\\"] = "\\\\", ["'"] = "\\'", ['"'] = '\\"' }

-- `s` as a MySQL string literal: quoted, with \0 \b \n \r \t \Z \\ \' \" escaped.
function M.quote_sql_str(...)
  arity(1, "expecting one argument", ...)
  local s = checkstring((...), 1, "quote_sql_str")
  return "'" .. gsub(s, "[\0\b\n\r\t\26\\'\"]", SQL_ESCAPES) .. "'"
end

-- One value of an encode_args table as `parts` of the query ("k=v", "k", or nothing for false).
local function encode_value(parts, key, value)
  local t = type(value)
  if t == "string" or t == "number" then
    parts[#parts + 1] = key .. "=" .. gsub(t == "number" and number_text(value) or value, ".", COMPONENT)
  elseif value == true then
    parts[#parts + 1] = key
  elseif value ~= false then
    error(format("attempt to use %s as query arg value", t), 3)
  end
end

-- A table as a query string, in the table's `next` order (as OpenResty's): `{a = 1, b = true,
-- c = {"x", "y"}}` is `a=1&b&c=x&c=y` (false values left out), keys and values escaped as
-- escape_uri does.
function M.encode_args(...)
  arity(1, "expecting 1 argument but seen %d", ...)
  local args = ...
  if type(args) ~= "table" then
    error(format("bad argument #1 to 'encode_args' (table expected, got %s)", type(args)), 2)
  end
  local parts = {}
  for key, value in next, args do
    if type(key) ~= "string" then error('attempt to use a non-string key in the "args" option table', 2) end
    key = gsub(key, ".", COMPONENT)
    if type(value) == "table" then
      for _, each in next, value do encode_value(parts, key, each) end
    else
      encode_value(parts, key, value)
    end
  end
  return concat(parts, "&")
end

-- `args[key] = value`, an array of the values once the key repeats.
local function add(args, key, value)
  local seen = args[key]
  if type(seen) == "table" then
    seen[#seen + 1] = value
  else
    args[key] = seen == nil and value or { seen, value }
  end
end

-- One `key=value` (or bare `key`: true) of a query; empty keys are left out.
local function decode_pair(args, pair)
  local eq = find(pair, "=", 1, true)
  local key = unescape(eq and sub(pair, 1, eq - 1) or pair)
  if key ~= "" then add(args, key, eq and unescape(sub(pair, eq + 1)) or true) end
end

-- A query string as a table (repeated keys as arrays, bare keys true); past `max_args` pairs
-- (default 100, 0 for no limit) the rest is dropped and "truncated" returned second.
function M.decode_args(...)
  local n = select("#", ...)
  if n ~= 1 and n ~= 2 then error(format("expecting 1 or 2 arguments but seen %d", n), 2) end
  local s, max = ...
  s = checkstring(s, 1, "decode_args")
  if n == 2 then
    local limit = tonumber(max)
    if type(max) ~= "number" and type(max) ~= "string" or not limit then
      error(format("bad argument #2 to 'decode_args' (number expected, got %s)", type(max)), 2)
    end
    max = limit >= 0 and floor(limit) or -floor(-limit)
  else
    max = 100
  end
  local args, count, start = {}, 0, 1
  while true do
    local amp = find(s, "&", start, true)
    if not amp then break end
    decode_pair(args, sub(s, start, amp - 1))
    start = amp + 1
    count = count + 1
    if count == max then return args, "truncated" end
  end
  if start <= #s then decode_pair(args, sub(s, start)) end
  return args
end

-- What luagw says it is to code that asks: the lua-nginx-module (0.10.26) and nginx (1.25.3)
-- of OpenResty 1.25.3, whose API it follows; `prefix()` is the served directory.
M.config = {
  subsystem = "http",
  ngx_lua_version = 10026,
  nginx_version = 1025003,
  debug = false,
  prefix = function() return need("scripts").root .. "/" end,
}

return M
