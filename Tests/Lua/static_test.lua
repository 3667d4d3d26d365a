-- luagw.web.static's helpers: byte ranges (RFC 9110 §14.1.2) and HTTP dates.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
local static = h.load("luagw.web.static")

local function range(field, size)
  local first, last = static.byte_range(field, size)
  return tostring(first) .. "," .. tostring(last)
end
local ranges = {  -- field, file size, first,last, what
  { nil, 10, "nil,nil", "no Range" },
  { "bytes=0-0", 10, "0,0", "the first byte" },
  { "bytes=2-5", 10, "2,5", "a middle" },
  { "bytes=7-", 10, "7,9", "from 7 to the end" },
  { "bytes=7-100", 10, "7,9", "an end past the file is the file's end" },
  { "bytes=-3", 10, "7,9", "the last 3" },
  { "bytes=-30", 10, "0,9", "a suffix longer than the file is the file" },
  { "bytes=-0", 10, "unsatisfiable,nil", "the last 0 bytes" },
  { "bytes=10-", 10, "unsatisfiable,nil", "a start at the end" },
  { "bytes=0-", 0, "unsatisfiable,nil", "any range of an empty file" },
  { "bytes=5-2", 10, "nil,nil", "an end before the start: ignored" },
  { "bytes=0-1,4-5", 10, "nil,nil", "several ranges: the whole file" },
  { "items=0-1", 10, "nil,nil", "another unit: ignored" },
  { " bytes = 1 - 2 ", 10, "1,2", "spaces" },
}
for _, c in ipairs(ranges) do h.equal(range(c[1], c[2]), c[3], c[4]) end

h.equal(static.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777, "RFC 9110's example date")
h.equal(static.parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0, "the epoch")
h.equal(static.parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"), 951825600, "a leap day")
h.equal(static.parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), nil, "the obsolete RFC 850 form is not a match")
h.equal(static.parse_http_date(nil), nil, "no date")
for _, t in ipairs({ 0, 784111777, 951825600, 1764288000, 4102444800 }) do
  h.equal(static.parse_http_date(static.http_date(t)), t, "round trip of " .. t)
end
h.equal(static.content_type("/a/b.CSS"), "text/css; charset=utf-8", "extensions in any case")
h.equal(static.content_type("/a/b"), "application/octet-stream", "no extension")
h.finish("static_test")
