-- LuaJIT's BitOp (`require "bit"` under luagw.ngx, SPEC 7) on Lua 5.4's integers: every
-- function takes numbers (or numeric strings) and returns a signed 32-bit result exactly as
-- LuaJIT gives it. Arguments are converted as LuaJIT's `tobit` converts them: an integer
-- wraps modulo 2^32; a float is rounded to the nearest integer (ties to even) by adding
-- 2^52 + 2^51, and the low 32 bits of the sum's representation are taken (so a float beyond
-- 2^51 gives what LuaJIT gives, not its value modulo 2^32).
local type, tonumber, error, select, format = type, tonumber, error, select, string.format
local mtype, tointeger, spack, sunpack, srep = math.type, math.tointeger, string.pack, string.unpack, string.rep

local MAGIC = 6755399441055744.0  -- 2^52 + 2^51

-- The signed 32-bit value of integer `n`'s low 32 bits.
local function signed(n)
  return ((n + 0x80000000) & 0xffffffff) - 0x80000000
end

-- An integer with the low 32 bits LuaJIT's tobit gives `x` (argument `i` of `name`).
local function bits(x, i, name)
  local kind = mtype(x)
  if kind == "integer" then return x end
  if kind == "float" then
    if x > -2251799813685248.0 and x < 2251799813685248.0 then  -- |x| < 2^51: the sum's low bits are round(x)
      return tointeger((x + MAGIC) - MAGIC)
    end
    return (sunpack("<i4", spack("<d", x + MAGIC)))
  end
  local n = type(x) == "string" and tonumber(x)
  if not n then error(format("bad argument #%d to '%s' (number expected, got %s)", i, name, type(x)), 3) end
  return bits(n, i, name)
end

-- A shift or rotation's count: the low 5 bits of its argument.
local function count(n, name)
  return bits(n, 2, name) & 31
end

local M = {}

function M.tobit(x)
  return signed(bits(x, 1, "tobit"))
end

function M.bnot(x)
  return signed(~bits(x, 1, "bnot"))
end

function M.bswap(x)
  local u = bits(x, 1, "bswap")
  return signed(((u & 0xff) << 24) | ((u & 0xff00) << 8) | ((u >> 8) & 0xff00) | ((u >> 24) & 0xff))
end

-- band, bor and bxor take one argument or more.
local function fold(name, op)
  return function(a, ...)
    local n = select("#", ...)
    if n == 1 then
      local b = ...
      if mtype(a) == "integer" and mtype(b) == "integer" then return signed(op(a, b)) end
    end
    local r = bits(a, 1, name)
    for i = 1, n do r = op(r, bits((select(i, ...)), i + 1, name)) end
    return signed(r)
  end
end

M.band = fold("band", function(a, b) return a & b end)
M.bor = fold("bor", function(a, b) return a | b end)
M.bxor = fold("bxor", function(a, b) return a ~ b end)

function M.lshift(x, n)
  return signed(bits(x, 1, "lshift") << count(n, "lshift"))
end

function M.rshift(x, n)
  return signed((bits(x, 1, "rshift") & 0xffffffff) >> count(n, "rshift"))
end

function M.arshift(x, n)
  return signed(bits(x, 1, "arshift")) // (1 << count(n, "arshift"))  -- floor division: the sign fills in
end

function M.rol(x, n)
  local u, c = bits(x, 1, "rol") & 0xffffffff, count(n, "rol")
  return signed((u << c) | (u >> (32 - c)))
end

function M.ror(x, n)
  local u, c = bits(x, 1, "ror") & 0xffffffff, count(n, "ror")
  return signed((u >> c) | (u << (32 - c)))
end

-- tohex(x [, n]): the low 4*|n| bits of x as |n| hex digits (8 by default, at most 254),
-- upper case when n is negative.
function M.tohex(x, ...)
  local u = bits(x, 1, "tohex") & 0xffffffff
  local digits, spec = 8, "x"
  if select("#", ...) > 0 then
    digits = signed(bits((...), 2, "tohex"))
    if digits < 0 then digits, spec = -digits, "X" end
    if digits > 254 then digits = 254 end
  end
  if digits == 0 then return "" end
  if digits < 8 then return format("%0" .. digits .. spec, u & ((1 << 4 * digits) - 1)) end
  return srep("0", digits - 8) .. format("%08" .. spec, u)
end

return M
