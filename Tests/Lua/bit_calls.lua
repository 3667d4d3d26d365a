-- The calls bit_test.lua makes of LuaJIT's BitOp and of luagw's bit.lua, the same under
-- LuaJIT and Lua 5.4: `emit` receives one line per call. Numbers from 2^51 up are floats in
-- both (made with ^); below that an integer and a float of the same value agree.
local bit, emit = ...
local values = { 0, 1, -1, 2, 7, 31, 32, 33, 63, 64, 255, 256, 0x7fff, 0x8000, 0x7fffffff, 0x80000000,
  0xffffffff, 0x100000000, 0x123456789, -0x7fffffff, -0x80000000, -0x80000001, -0xffffffff, 2^32 + 5, 2^40 + 7,
  -2^40 - 7, 2^51 - 1, 2^51, 2^51 + 1, -2^51, 2^52, 2^52 + 3, -2^52 - 3, 2^53, 2^53 + 2, 2^60, -2^60, 2^63, 2^64,
  1e15, 1e300, -1e300, 0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999999999999994, 3.7, -3.7, 1e-300,
  2^31 - 0.5, 2^31 + 0.5, -2^31 - 0.5, 2^32 - 0.5, 1 / 0, -1 / 0, "12", " 0x10 ", "1e3", "-7.5", "0xffffffff" }
local x = 12345
for _ = 1, 80 do
  x = (x * 69069 + 1) % 4294967296
  local y = (x * 69069 + 1) % 4294967296
  values[#values + 1] = x
  values[#values + 1] = x - 2147483648
  values[#values + 1] = x * 65536 + y
  values[#values + 1] = -(x * 4096 + y)
  values[#values + 1] = x / 7
  values[#values + 1] = -(y / 3)
  x = y
end
local counts = { 0, 1, 4, 7, 8, 15, 16, 24, 31, 32, 33, 40, 63, 64, -1, -8, -31, -32, 1.5, 2.5, -0.5, 2^32 + 3, "3" }

local function line(...)
  local parts = { ... }
  for i = 1, select("#", ...) do parts[i] = tostring(parts[i]) end
  emit(table.concat(parts, " "))
end

for i, v in ipairs(values) do
  line("tobit", i, bit.tobit(v))
  line("bnot", i, bit.bnot(v))
  line("bswap", i, bit.bswap(v))
  line("tohex", i, bit.tohex(v))
  for j, n in ipairs(counts) do
    line("lshift", i, j, bit.lshift(v, n))
    line("rshift", i, j, bit.rshift(v, n))
    line("arshift", i, j, bit.arshift(v, n))
    line("rol", i, j, bit.rol(v, n))
    line("ror", i, j, bit.ror(v, n))
  end
  for j, n in ipairs({ 0, 1, 2, 4, 7, 8, 9, 16, 17, -1, -4, -8, -12, 254, 255, 1000, -1000, 2.5, -2^31, 2^32 + 4 }) do
    line("tohex", i, j, bit.tohex(v, n))
  end
end
for i = 1, #values, 3 do
  for j = 1, #values, 5 do
    local a, b = values[i], values[j]
    line("band", i, j, bit.band(a, b), bit.band(a, b, 0x0ff0ff0f), bit.band(a))
    line("bor", i, j, bit.bor(a, b), bit.bor(a, b, 1, 2^40 + 1))
    line("bxor", i, j, bit.bxor(a, b), bit.bxor(a, b, a, b, -1))
  end
end
for _, bad in ipairs({ "x", {}, true }) do
  line("error", tostring(type(bad)), pcall(bit.band, 1, bad) == false, pcall(bit.tobit, bad) == false)
end
