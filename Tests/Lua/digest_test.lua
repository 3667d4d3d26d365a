-- digest.lua against the RFC 1321 test suite, FIPS 180's SHA-1 vectors, RFC 2202's HMAC-SHA1
-- test cases, RFC 6455's handshake example, RFC 4648's base64 vectors and CRC-32's check value.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
local digest = h.load("digest")

local vectors = {
  [""] = "d41d8cd98f00b204e9800998ecf8427e",
  ["a"] = "0cc175b9c0f1b6a831c399e269772661",
  ["abc"] = "900150983cd24fb0d6963f7d28e17f72",
  ["message digest"] = "f96b697d7cb7938d525a2f31aaf161d0",
  ["abcdefghijklmnopqrstuvwxyz"] = "c3fcd3d76192e4007dfb496cca67e13b",
  [string.rep("1234567890", 8)] = "57edf4a22be3c955ac49da2e2107b67a",
}
for input, expected in pairs(vectors) do h.equal(digest.md5(input), expected, "md5 of " .. #input .. " bytes") end
h.equal(#digest.md5_bin("abc"), 16, "md5_bin is 16 bytes")
h.equal(digest.crc32("123456789"), 0xCBF43926, "CRC-32 check value")
h.equal(digest.crc32(""), 0, "CRC-32 of nothing")

local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local sha1 = {
  [""] = "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  ["abc"] = "a9993e364706816aba3e25717850c26c9cd0d89d",
  ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"] = "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  ["abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"]
    = "a49b2446a02c645bf419f995b67091253a04a259",
  [string.rep("a", 1000000)] = "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
  [string.rep("a", 55)] = "c1c8bbdc22796e28c0e15163d20899b65621d65a",
  [string.rep("a", 64)] = "0098ba824b5c16427bd7a1122a5a442a25ec644d",
}
for input, expected in pairs(sha1) do h.equal(hex(digest.sha1_bin(input)), expected, "sha1 of " .. #input .. " bytes") end
h.equal(digest.encode_base64(digest.sha1_bin("dGhlIHNhbXBsZSBub25jZQ==" .. "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")),
  "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455's Sec-WebSocket-Accept example")

-- RFC 2202, section 3: key, data, digest.
local hmac = {
  { string.rep("\x0b", 20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00" },
  { "Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
  { string.rep("\xaa", 20), string.rep("\xdd", 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
  { "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19",
    string.rep("\xcd", 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
  { string.rep("\x0c", 20), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
  { string.rep("\xaa", 80), "Test Using Larger Than Block-Size Key - Hash Key First",
    "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
  { string.rep("\xaa", 80), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
    "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
}
for i, case in ipairs(hmac) do h.equal(hex(digest.hmac_sha1(case[1], case[2])), case[3], "RFC 2202 HMAC-SHA1 case " .. i) end

local base64 = { [""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==", fooba = "Zm9vYmE=", foobar = "Zm9vYmFy" }
for plain, encoded in pairs(base64) do
  h.equal(digest.encode_base64(plain), encoded, "base64 of " .. plain)
  h.equal(digest.decode_base64(encoded), plain, "base64 back to " .. plain)
end
h.equal(digest.encode_base64("f", true), "Zg", "no padding")
h.equal(digest.decode_base64("Zg"), "f", "decoded without padding")
h.equal(digest.decode_base64("Z!=="), nil, "not base64")
h.equal(digest.decode_base64("Z"), nil, "a lone 6 bits")
h.equal(digest.decode_base64("Zg==!!"), "f", "what follows the padding is ignored (nginx's)")
h.equal(#digest.decode_base64("dGhlIHNhbXBsZSBub25jZQ=="), 16, "a WebSocket key is 16 bytes")
h.finish("digest_test")
