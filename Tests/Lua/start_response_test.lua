-- start_response (start_response.lua): what it keeps of a valid head, what it refuses.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
local start_response = h.load("start_response")

local function fresh()
  local r = {}
  return r, start_response.new(r, function() end)
end

local r, sr = fresh()
sr(200, { { "Content-Type", "text/plain" }, { "X-N", 5 }, { "Date", "x" } })
h.equal(r.code, 200, "an integer status")
h.equal(r.line, "200 OK", "its reason")
h.equal(r.block, "Content-Type: text/plain\r\nX-N: 5\r\nDate: x\r\n", "header lines in order")
h.equal(r.flags, h.C.protocol.HAS_DATE, "Date noted")

r, sr = fresh()
sr("404 Gone Fishing", { ["Server"] = "mine", ["Content-Length"] = "3" })
h.equal(r.code, 404, "a string status")
h.equal(r.line, "404 Gone Fishing", "kept as given")
h.equal(r.length, 3, "Content-Length noted")
h.equal(r.flags, h.C.protocol.HAS_SERVER, "Server noted")
h.equal(r.block, "Content-Length: 3\r\nServer: mine\r\n", "a map sorted by name")

-- A pair seen before is not validated again, but Content-Length, Date and Server still count.
for i = 1, 2 do
  r, sr = fresh()
  sr(200, { { "Content-Type", "text/plain" }, { "Content-Length", "3" }, { "Server", "s" } })
  h.equal(r.block, "Content-Type: text/plain\r\nContent-Length: 3\r\nServer: s\r\n", "the same block, time " .. i)
  h.equal(r.length, 3, "Content-Length noted, time " .. i)
  h.equal(r.flags, h.C.protocol.HAS_SERVER, "Server noted, time " .. i)
  r, sr = fresh()
  sr(200, { { "Content-Type", "text/plain" } })
  h.equal(r.block, "Content-Type: text/plain\r\n", "a single line, time " .. i)
  h.equal(r.length, nil, "no Content-Length left from before, time " .. i)
  h.equal(r.flags, 0, "no flags left from before, time " .. i)
end

local refused = {
  { "0200 OK", {} }, { "20 OK", {} }, { 42, {} }, { 200, { { "Bad Name", "x" } } },
  { 200, { { "X", "a\r\nb" } } }, { 200, { { "Connection", "close" } } },
  { 200, { { "Content-Length", "-1" } } }, { 200, { { "X", {} } } }, { 200, "headers" },
  { 200, { { "Content-Type", "text/plain" }, { "Content-Type", "a\nb" } } },
  { 200, { { "Content-Type", "text/plain" }, "x" } },
}
for i, case in ipairs(refused) do
  local _, s = fresh()
  h.check(not pcall(s, case[1], case[2]), "refused case " .. i)
end

local _, twice = fresh()
twice(200, {})
h.check(not pcall(twice, 200, {}), "a second call without exc_info")
h.check(pcall(twice, 500, {}, "boom"), "a second call with exc_info before the head is out")

h.finish("start_response_test")
