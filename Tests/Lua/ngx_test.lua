-- luagw.ngx's helpers that OpenResty libraries call: base64, URI escaping, digests, SQL quoting,
-- query arguments, ngx.config (NgxCodecTests compares them with nginx + Lua's at length).
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
h.C.now = os.time
local ngx = h.load("luagw.ngx")

h.equal(_G.ngx, ngx, "the global ngx is set")
h.equal(ngx.encode_base64(""), "", "base64 of nothing")
h.equal(ngx.encode_base64("f"), "Zg==", "base64, two pads")
h.equal(ngx.encode_base64("fo"), "Zm8=", "base64, one pad")
h.equal(ngx.encode_base64("foobar"), "Zm9vYmFy", "base64, no pad")
h.equal(ngx.encode_base64("fo", true), "Zm8", "base64 without padding")
h.equal(ngx.decode_base64("Zm9vYmFy"), "foobar", "decoded")
h.equal(ngx.decode_base64("Zm8="), "fo", "decoded with padding")
h.equal(ngx.decode_base64("!!"), nil, "not base64")
h.equal(ngx.escape_uri("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9", "escape_uri")
h.equal(ngx.unescape_uri("a%20b+c%2F"), "a b c/", "unescape_uri")
h.equal(ngx.md5("abc"), "900150983cd24fb0d6963f7d28e17f72", "md5")
h.equal(ngx.crc32_short("123456789"), 0xCBF43926, "crc32_short")
h.equal(ngx.escape_uri("!'()*~"), "!'()*~", "escape_uri leaves what OpenResty leaves")
h.equal(ngx.hmac_sha1("key", "The quick brown fox jumps over the lazy dog"),
  "\xde\x7c\x9b\x85\xb8\xb7\x8a\xa6\xbc\x8a\x7a\x36\xf7\x0a\x90\x70\x1c\x9d\xb4\xd9", "hmac_sha1")
h.equal(ngx.quote_sql_str("it's\n\26"), "'it\\'s\\n\\Z'", "quote_sql_str")
h.equal(ngx.encode_args({ tag = { "a b", "c" } }), "tag=a%20b&tag=c", "encode_args: an array as repeated keys")
local args, err = ngx.decode_args("a=1&a=2&b&c=x%2By", 3)
h.equal(#args.a .. tostring(args.b) .. tostring(args.c) .. err, "2truenil" .. "truncated", "decode_args and its limit")
h.equal(ngx.decode_args("c=x%2By+z").c, "x+y z", "decode_args unescapes")
h.equal(ngx.config.subsystem, "http", "ngx.config")
h.equal(tostring(ngx.null), "null", "ngx.null")
h.equal(ngx.ERR, 4, "log levels")
h.finish("ngx_test")
