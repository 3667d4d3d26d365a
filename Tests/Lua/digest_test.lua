-- digest.lua against the RFC 1321 test suite and CRC-32's check value.
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
h.finish("digest_test")
