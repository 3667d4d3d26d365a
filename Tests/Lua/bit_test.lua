-- bit.lua, LuaJIT's BitOp for luagw.ngx: known answers, then the calls of bit_calls.lua run
-- under real LuaJIT (Debian's luajit2, the interpreter of OpenResty's LuaJIT branch, when
-- installed: scripts/test installs it) and under Lua 5.4 with bit.lua, compared line by line.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path
local h = require "harness"
local bit = h.load("bit")

h.equal(bit.tobit(0xffffffff), -1, "tobit wraps")
h.equal(bit.tobit(2^32 + 5), 5, "tobit of a float beyond 2^32")
h.equal(bit.tobit(1.5), 2, "tobit rounds half to even (up)")
h.equal(bit.tobit(2.5), 2, "tobit rounds half to even (down)")
h.equal(bit.tobit(-1.5), -2, "tobit of a negative fraction")
h.equal(bit.tobit(2^52 + 3), 2, "tobit of a float beyond 2^51: LuaJIT's bits, not the value mod 2^32")
h.equal(bit.tobit(1 / 0), 0, "tobit of infinity")
h.equal(bit.tobit(" 0x10 "), 16, "a numeric string")
h.equal(bit.band(0x12345678, 0xff), 0x78, "band")
h.equal(bit.band(-1), -1, "band of one argument")
h.equal(bit.bor(1, 2, 4, 8), 15, "bor of four arguments")
h.equal(bit.bxor(0xff00ff00, 0xffffffff), 0x00ff00ff, "bxor")
h.equal(bit.bnot(0), -1, "bnot")
h.equal(bit.lshift(1, 31), -2147483648, "lshift into the sign bit")
h.equal(bit.lshift(1, 32), 1, "shift counts modulo 32")
h.equal(bit.lshift(1, -1), -2147483648, "a negative shift count")
h.equal(bit.rshift(-1, 28), 15, "rshift is logical")
h.equal(bit.arshift(-256, 4), -16, "arshift keeps the sign")
h.equal(bit.rol(0x12345678, 8), 0x34567812, "rol")
h.equal(bit.ror(1, 1), -2147483648, "ror")
h.equal(bit.bswap(0x12345678), 0x78563412, "bswap")
h.equal(bit.tohex(-1), "ffffffff", "tohex")
h.equal(bit.tohex(255, -4), "00FF", "tohex, upper case, four digits")
h.equal(bit.tohex(0x12345678, 2), "78", "tohex keeps the low digits")
h.equal(bit.tohex(1, 10), "0000000001", "tohex pads beyond eight digits")
h.equal(bit.tohex(1, 0), "", "tohex of no digits")
h.check(not pcall(bit.band, 1, nil), "band with a nil argument is an error")
h.check(not pcall(bit.tohex, 1, nil), "tohex with a nil count is an error")
local ok, message = pcall(bit.rshift, {}, 1)
h.check(not ok and message:find("bad argument #1 to 'rshift' (number expected, got table)", 1, true), message)

-- Under luagw.ngx, `require "bit"` finds it (OpenResty libraries expect it there).
h.C.now = os.time
h.load("luagw.ngx")
h.equal(require("bit").rol(1, 4), 16, "require 'bit' after luagw.ngx")

-- The differential: the same calls under LuaJIT.
local calls = here .. "/bit_calls.lua"
local ours = {}
assert(loadfile(calls))(bit, function(s) ours[#ours + 1] = s end)
local probe = io.popen("command -v luajit")
local luajit = probe:read("l")
probe:close()
if not luajit then
  print("bit_test: no luajit on PATH, the differential against LuaJIT is skipped (scripts/test installs luajit2)")
else
  local runner = os.tmpname()
  local f = assert(io.open(runner, "w"))
  f:write(string.format("assert(loadfile(%q))(require 'bit', print)\n", calls))
  f:close()
  local pipe = assert(io.popen(luajit .. " " .. runner))
  local mismatches, n = 0, 0
  for theirs in pipe:lines() do
    n = n + 1
    if theirs ~= ours[n] then
      mismatches = mismatches + 1
      if mismatches <= 10 then h.equal(ours[n], theirs, "call " .. n .. " as LuaJIT answers it") end
    end
  end
  pipe:close()
  os.remove(runner)
  h.equal(n, #ours, "as many calls under LuaJIT")
  h.equal(mismatches, 0, "calls answered unlike LuaJIT")
  h.check(n > 10000, "the differential ran " .. n .. " calls")
end
h.finish("bit_test")
