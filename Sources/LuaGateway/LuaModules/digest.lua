-- MD5 (RFC 1321) and CRC-32 (IEEE 802.3) in Lua 5.4 integers, for luagw.ngx's `md5`,
-- `md5_bin` and `crc32_short`: what OpenResty's client libraries hash keys with.
local byte, char, rep, pack, format = string.byte, string.char, string.rep, string.pack, string.format
local sunpack, concat = string.unpack, table.concat

local M = {}

local S = { 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
            5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
            4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21 }
local K = {}
for i = 1, 64 do K[i] = math.floor(math.abs(math.sin(i)) * 2 ^ 32) & 0xffffffff end

local function rotate(x, n)
  x = x & 0xffffffff
  return ((x << n) | (x >> (32 - n))) & 0xffffffff
end

-- The 16-byte digest of `s`.
function M.md5_bin(s)
  local length = #s
  s = s .. "\128" .. rep("\0", (55 - length) % 64) .. pack("<I8", (length * 8) & 0xffffffffffffffff)
  local a0, b0, c0, d0 = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
  local X = {}
  for chunk = 1, #s, 64 do
    for i = 0, 15 do X[i] = sunpack("<I4", s, chunk + i * 4) end
    local a, b, c, d = a0, b0, c0, d0
    for i = 0, 63 do
      local f, g
      if i < 16 then
        f, g = (b & c) | (~b & d), i
      elseif i < 32 then
        f, g = (d & b) | (~d & c), (5 * i + 1) % 16
      elseif i < 48 then
        f, g = b ~ c ~ d, (3 * i + 5) % 16
      else
        f, g = c ~ (b | ~d), (7 * i) % 16
      end
      f = (f + a + K[i + 1] + X[g]) & 0xffffffff
      a, d, c = d, c, b
      b = (b + rotate(f, S[i + 1])) & 0xffffffff
    end
    a0, b0 = (a0 + a) & 0xffffffff, (b0 + b) & 0xffffffff
    c0, d0 = (c0 + c) & 0xffffffff, (d0 + d) & 0xffffffff
  end
  return pack("<I4I4I4I4", a0, b0, c0, d0)
end

-- The digest as 32 lower-case hex digits.
function M.md5(s)
  local out = {}
  local digest = M.md5_bin(s)
  for i = 1, 16 do out[i] = format("%02x", byte(digest, i)) end
  return concat(out)
end

local CRC = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do c = (c & 1 == 1) and (0xedb88320 ~ (c >> 1)) or (c >> 1) end
  CRC[i] = c
end

-- CRC-32 of `s`, as a non-negative integer.
function M.crc32(s)
  local c = 0xffffffff
  for i = 1, #s do c = CRC[(c ~ byte(s, i)) & 0xff] ~ (c >> 8) end
  return c ~ 0xffffffff
end

return M
