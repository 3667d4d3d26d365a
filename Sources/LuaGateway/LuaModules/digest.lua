-- MD5 (RFC 1321), SHA-1 (FIPS 180-4), HMAC-SHA1 (RFC 2104), CRC-32 (IEEE 802.3) and base64
-- (RFC 4648) in Lua 5.4 integers: luagw.ngx's digests and base64 (luagw.ngx.codec: what OpenResty's
-- client libraries hash keys with), and the accept value of luagw.websocket's handshake.
local byte, char, rep, pack, format = string.byte, string.char, string.rep, string.pack, string.format
local sunpack, concat, find, type, unpack = string.unpack, table.concat, string.find, type, table.unpack

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

-- The 20-byte SHA-1 digest of `s`.
function M.sha1_bin(s)
  local length = #s
  s = s .. "\128" .. rep("\0", (55 - length) % 64) .. pack(">I8", (length * 8) & 0xffffffffffffffff)
  local h0, h1, h2, h3, h4 = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0
  local W = {}
  for chunk = 1, #s, 64 do
    for i = 0, 15 do W[i] = sunpack(">I4", s, chunk + i * 4) end
    for i = 16, 79 do W[i] = rotate(W[i - 3] ~ W[i - 8] ~ W[i - 14] ~ W[i - 16], 1) end
    local a, b, c, d, e = h0, h1, h2, h3, h4
    for i = 0, 79 do
      local f, k
      if i < 20 then
        f, k = (b & c) | (~b & d), 0x5a827999
      elseif i < 40 then
        f, k = b ~ c ~ d, 0x6ed9eba1
      elseif i < 60 then
        f, k = (b & c) | (b & d) | (c & d), 0x8f1bbcdc
      else
        f, k = b ~ c ~ d, 0xca62c1d6
      end
      a, b, c, d, e = (rotate(a, 5) + (f & 0xffffffff) + e + k + W[i]) & 0xffffffff, a, rotate(b, 30), c, d
    end
    h0, h1, h2 = (h0 + a) & 0xffffffff, (h1 + b) & 0xffffffff, (h2 + c) & 0xffffffff
    h3, h4 = (h3 + d) & 0xffffffff, (h4 + e) & 0xffffffff
  end
  return pack(">I4I4I4I4I4", h0, h1, h2, h3, h4)
end

-- The 64-byte block `key` (zero-padded) with each byte xor `pad`.
local function padded(key, pad)
  local bytes = { byte(key, 1, -1) }
  for i = 1, 64 do bytes[i] = (bytes[i] or 0) ~ pad end
  return char(unpack(bytes))
end

-- The 20-byte HMAC-SHA1 of `s` under `key`.
function M.hmac_sha1(key, s)
  if #key > 64 then key = M.sha1_bin(key) end
  return M.sha1_bin(padded(key, 0x5c) .. M.sha1_bin(padded(key, 0x36) .. s))
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

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- `s` in base64, padded with "=" unless `no_padding`.
function M.encode_base64(s, no_padding)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local k = b and (c and 4 or 3) or 2
    for j = 1, 4 do
      local v = (n >> (6 * (4 - j))) & 63
      out[#out + 1] = j <= k and B64:sub(v + 1, v + 1) or (no_padding and "" or "=")
    end
  end
  return concat(out)
end

local B64_VALUE = {}
for i = 1, 64 do B64_VALUE[byte(B64, i)] = i - 1 end

-- The bytes `s` encodes in base64, as nginx decodes it: up to the first "=" (padding optional,
-- what follows it ignored); nil when a character before it is not base64 or their count leaves
-- a lone 6 bits.
function M.decode_base64(s)
  if type(s) ~= "string" then return nil end
  local length = (find(s, "=", 1, true) or #s + 1) - 1
  if length % 4 == 1 then return nil end
  local out, n, bits = {}, 0, 0
  for i = 1, length do
    local v = B64_VALUE[byte(s, i)]
    if not v then return nil end
    n, bits = (n << 6) | v, bits + 6
    if bits >= 8 then
      bits = bits - 8
      out[#out + 1] = char((n >> bits) & 255)
    end
  end
  return concat(out)
end

return M
