-- A request's record (request.lua) and the per-request objects made in it: each coroutine's
-- record keeps its own, reused by its next request; two requests running at once (two
-- coroutines of one state) never share one.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
local request = h.load("request")
local input = h.load("input")
local errors = h.load("errors")

local Class = {}
local function in_request(f)
  local co = coroutine.create(f)
  local results = { coroutine.resume(co) }
  h.equal(results[1], true, "the request ran")
  return table.unpack(results, 2)
end

local a1, a2 = in_request(function() return request.object("thing", Class), request.object("thing", Class) end)
h.equal(a1, a2, "one object per record and key")
h.equal(getmetatable(a1), Class, "of the given class")
local b = in_request(function() return request.object("thing", Class) end)
h.check(b ~= a1, "another coroutine's record has its own")

local co = coroutine.create(function()
  local first = request.begin()
  local serial = first.serial
  coroutine.yield(serial)
  return request.begin().serial - serial
end)
local _, serial = coroutine.resume(co)
h.equal(serial, 1, "a record's first request has serial 1")
local _, step = coroutine.resume(co)
h.equal(step, 1, "each request after counts one more")

-- Two requests at once: their inputs and errors objects are their own.
local i1, e1, i2, e2
local r1 = coroutine.create(function() i1, e1 = input.new(), errors.new("id-1", "/a"); coroutine.yield(); return e1.id end)
local r2 = coroutine.create(function() i2, e2 = input.new(), errors.new("id-2", "/b"); return e2.id end)
coroutine.resume(r1)
local _, id2 = coroutine.resume(r2)
local _, id1 = coroutine.resume(r1)
h.check(i1 ~= i2 and e1 ~= e2, "each request has its own wsgi.input and wsgi.errors")
h.equal(id1, "id-1", "the first request's errors keep its id while the second runs")
h.equal(id2, "id-2", "the second's its own")

h.finish("request_test")
