-- OpenResty's digests, base64, URI escaping, quote_sql_str, encode_args/decode_args and
-- ngx.config (lua-nginx-module's README and the edge cases of its C code and resty.core), and
-- the cosocket leniencies libraries rely on (a timeout that is not a number; LuaJIT's table.new
-- and table.clear), each call's results serialized one a line. Run as is by nginx + Lua
-- (LuaJIT) and by luagw (Lua 5.4): NgxCodecTests compares the texts. Returns the text.

-- What a host may word differently: where an error is raised (a file and line, or none from C)
-- and the function name of a "bad argument" (LuaJIT's '?' for a C function called by pcall).
local function normalize(v)
  if type(v) ~= "string" then return v end
  return (v:gsub("^[^\n]-%.lua:%d+: ", ""):gsub("^(bad argument #%d+) to '[^']*'", "%1"))
end

local case, text = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "differential.lua")(normalize)

-- A query string's pairs sorted (a table's order differs between LuaJIT and Lua 5.4).
local function sorted(query)
  local pairs_ = {}
  for pair in query:gmatch("[^&]+") do pairs_[#pairs_ + 1] = pair end
  table.sort(pairs_)
  return table.concat(pairs_, "&")
end

local ALL = {}
for c = 0, 255 do ALL[#ALL + 1] = string.char(c) end
ALL = table.concat(ALL)

-- digests
case("md5", function() return ngx.md5(""), ngx.md5("abc"), ngx.md5(nil), ngx.md5(12), ngx.md5(true) end)
case("md5_bin", function() return ngx.md5_bin("abc"), ngx.md5_bin(false) end)
case("sha1_bin", function() return ngx.sha1_bin("abc"), ngx.sha1_bin(nil), ngx.sha1_bin(12), ngx.sha1_bin(1.5) end)
case("sha1_bin long", function() return ngx.md5(ngx.sha1_bin(string.rep("abc", 1000))) end)
case("hmac_sha1 RFC 2202 1", function() return ngx.hmac_sha1(string.rep("\11", 20), "Hi There") end)
case("hmac_sha1 RFC 2202 2", function() return ngx.hmac_sha1("Jefe", "what do ya want for nothing?") end)
case("hmac_sha1 RFC 2202 6", function()
  return ngx.hmac_sha1(string.rep("\170", 80), "Test Using Larger Than Block-Size Key - Hash Key First")
end)
case("hmac_sha1 64-byte key", function() return ngx.hmac_sha1(string.rep("k", 64), "") end)
case("hmac_sha1 number", function() return ngx.hmac_sha1(1, 2) end)
case("hmac_sha1 nil", function() return ngx.hmac_sha1("k", nil) end)
case("hmac_sha1 one argument", function() return ngx.hmac_sha1("k") end)
case("crc32", function() return ngx.crc32_short("123456789"), ngx.crc32_long("123456789"), ngx.crc32_short(nil) end)

-- base64
case("encode_base64", function()
  return ngx.encode_base64(""), ngx.encode_base64("f"), ngx.encode_base64("fo"), ngx.encode_base64("foo"),
    ngx.encode_base64(ALL), ngx.encode_base64(nil), ngx.encode_base64(12)
end)
case("encode_base64 no padding", function() return ngx.encode_base64("f", true), ngx.encode_base64("fo", true) end)
case("encode_base64 bad no_padding", function() return ngx.encode_base64("f", 1) end)
case("decode_base64", function()
  return ngx.decode_base64("Zm9v"), ngx.decode_base64("Zg"), ngx.decode_base64("Zg=="), ngx.decode_base64("Zg==!!"),
    ngx.decode_base64(""), ngx.decode_base64("Z"), ngx.decode_base64("Z!=="), ngx.decode_base64("Zm9v YmFy")
end)
case("decode_base64 all", function() return ngx.decode_base64(ngx.encode_base64(ALL)) == ALL end)
case("decode_base64 number", function() return ngx.decode_base64(12) end)

-- URI escaping
case("escape_uri", function() return ngx.escape_uri(ALL) end)
for kind = 0, 6 do
  case("escape_uri type " .. kind, function() return ngx.escape_uri(ALL, kind) end)
end
case("escape_uri coerced", function() return ngx.escape_uri(nil), ngx.escape_uri(12), ngx.escape_uri(true) end)
case("escape_uri bad type", function() return ngx.escape_uri("x", "2") end)
case("escape_uri type out of range", function() return ngx.escape_uri("x", 7) end)
case("unescape_uri", function()
  return ngx.unescape_uri("a+b%2x%41%"), ngx.unescape_uri("%zz%4"), ngx.unescape_uri("%E4%BD%A0%2b"),
    ngx.unescape_uri(nil), ngx.unescape_uri(ngx.escape_uri(ALL)) == ALL
end)

-- quote_sql_str
case("quote_sql_str", function() return ngx.quote_sql_str("a\0b\b\n\r\t\26\\'\"é"), ngx.quote_sql_str("") end)
case("quote_sql_str all", function() return ngx.quote_sql_str(ALL) end)
case("quote_sql_str number", function() return ngx.quote_sql_str(12) end)
case("quote_sql_str nil", function() return ngx.quote_sql_str(nil) end)
case("quote_sql_str two arguments", function() return ngx.quote_sql_str("a", "b") end)

-- encode_args
case("encode_args README", function() return sorted(ngx.encode_args({ foo = 3, ["b r"] = "d" })) end)
case("encode_args booleans", function() return sorted(ngx.encode_args({ a = true, b = false, c = "" })) end)
case("encode_args array", function() return ngx.encode_args({ baz = { 32, "hello", true, false } }) end)
case("encode_args array and hash", function() return ngx.encode_args({ a = { 1, 2, k = "v" } }) end)
case("encode_args empty", function() return ngx.encode_args({}), ngx.encode_args({ a = {} }) end)
case("encode_args escaping", function() return ngx.encode_args({ ["a=&b"] = "!'()* +/?é" }) end)
case("encode_args numbers", function() return sorted(ngx.encode_args({ a = 3.0, b = 1e20, c = -0.5, d = 2^53 })) end)
case("encode_args number key", function() return ngx.encode_args({ [1] = "x" }) end)
case("encode_args table value", function() return ngx.encode_args({ a = { {} } }) end)
case("encode_args function value", function() return ngx.encode_args({ a = print }) end)
case("encode_args no argument", function() return ngx.encode_args() end)
case("encode_args string", function() return ngx.encode_args("a=1") end)

-- decode_args
case("decode_args README", function() return ngx.decode_args("a=bar&b=foo&a=baz&c") end)
case("decode_args edges", function() return ngx.decode_args("a=1&a=2&b&c=&=x&&d=%41+b&e=f=g&a") end)
case("decode_args mixed repeats", function() return ngx.decode_args("a&a=1&a") end)
case("decode_args empty", function() return ngx.decode_args(""), ngx.decode_args("&&&"), ngx.decode_args("=") end)
case("decode_args max", function() return ngx.decode_args("a=1&b=2&c=3", 2) end)
case("decode_args max at the end", function() return ngx.decode_args("a=1&", 1) end)
case("decode_args max unreached", function() return ngx.decode_args("a=1&b=2", 2) end)
case("decode_args max 0", function() return ngx.decode_args("a=1&b=2&c=3", 0) end)
case("decode_args max -1", function() return ngx.decode_args("a=1&b=2&c=3", -1) end)
case("decode_args max string", function() return ngx.decode_args("a=1&b=2&c=3", "1") end)
case("decode_args max float", function() return ngx.decode_args("a=1&b=2&c=3", 1.9) end)
case("decode_args default max", function()
  local args, err = ngx.decode_args(string.rep("k=v&", 150))
  return #args.k, err
end)
case("decode_args number", function() return ngx.decode_args(12) end)
case("decode_args bad max", function() return ngx.decode_args("a", "x") end)
case("decode_args no argument", function() return ngx.decode_args() end)
case("decode_args round trip", function()
  return ngx.decode_args(ngx.encode_args({ q = "a b&c=d", list = { "1", "2" }, flag = true }))
end)

-- ngx.config
case("config", function()
  local config = ngx.config
  return config.subsystem, type(config.ngx_lua_version), config.ngx_lua_version >= 10000, type(config.nginx_version),
    config.nginx_version >= 1000000, type(config.debug), type(config.prefix()), config.prefix():sub(-1)
end)

-- cosocket timeouts as OpenResty reads them
local function timeout(...)
  local sock = ngx.socket.tcp()
  return sock:settimeout(...)
end
case("settimeout table", function() return timeout({}) end)
case("settimeout nil", function() return timeout(nil) end)
case("settimeout string", function() return timeout("abc"), timeout("100") end)
case("settimeout fractions", function() return timeout(-0.5), timeout(0.5), timeout(2^31 - 1) end)
case("settimeout negative", function() return timeout(-1) end)
case("settimeout too large", function() return timeout(2^31) end)
case("settimeouts", function()
  local sock = ngx.socket.tcp()
  return sock:settimeouts({}, nil, "5"), sock:settimeouts(1, 2, 3)
end)
case("settimeouts negative", function() return ngx.socket.tcp():settimeouts(1, -2, 3) end)

-- LuaJIT's table extensions, which OpenResty's libraries require when they are there
case("table.new", function() return type(require("table.new")(4, 4)) end)
case("table.clear", function()
  local t = { 1, 2, a = 3 }
  require("table.clear")(t)
  return next(t)
end)

return text()
