-- wsgi.input (input.lua) over a fake server that answers READ yields from a list.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
local input = h.load("input")
local SENTINEL, READ = h.C.sentinel, h.C.protocol.READ

-- Runs f(input) in a coroutine fed `chunks` (then the end, or `failure`); returns f's results.
local function serve(chunks, failure, f)
  local co = coroutine.create(function() return f(input.new()) end)
  local i, reads = 0, 0
  local results = { coroutine.resume(co) }
  while coroutine.status(co) == "suspended" do
    h.check(results[2] == SENTINEL and results[3] == READ, "a READ yield")
    reads = reads + 1
    i = i + 1
    if chunks[i] then
      results = { coroutine.resume(co, chunks[i]) }
    elseif failure then
      results = { coroutine.resume(co, false, failure) }
    else
      results = { coroutine.resume(co, nil) }
    end
  end
  return reads, table.unpack(results)
end

local _, _, all = serve({ "ab", "cd", "e" }, nil, function(s) return s:read() end)
h.equal(all, "abcde", "read() joins every chunk")

local _, _, a, b, c, d = serve({ "abc", "def" }, nil, function(s) return s:read(2), s:read(3), s:read(5), s:read(1) end)
h.equal(a, "ab", "read(2)")
h.equal(b, "cde", "read(3) across chunks")
h.equal(c, "f", "read(5) at the end gives what is left")
h.equal(d, nil, "read(1) past the end is nil")

local _, _, l1, l2, l3, l4 = serve({ "one\ntw", "o\nthree" }, nil, function(s)
  return s:readline(), s:readline(), s:readline(), s:readline()
end)
h.equal(l1, "one\n", "readline keeps the newline")
h.equal(l2, "two\n", "readline across chunks")
h.equal(l3, "three", "the last line without a newline")
h.equal(l4, nil, "readline at the end")

local _, _, limited = serve({ "abcdef\n" }, nil, function(s) return s:readline(3) end)
h.equal(limited, "abc", "readline(limit) stops at the limit")

local _, _, joined = serve({ "x\ny\n" }, nil, function(s)
  local t = {}
  for line in s:lines() do t[#t + 1] = line end
  return table.concat(t, ",")
end)
h.equal(joined, "x,y", "lines() without newlines")

local reads = serve({ "abc" }, nil, function(s) return s:read(0) end)
h.equal(reads, 0, "read(0) asks for nothing")

local _, ok2, err = serve({ "ab" }, "the client went away", function(s) return s:read() end)
h.equal(ok2, false, "a failed body raises")
h.equal(err, "wsgi.input: the client went away", "in the server's words")

local _, _, first, second = serve({}, "stalled", function(s)
  pcall(s.read, s)
  return pcall(s.read, s)
end)
h.equal(first, false, "a read after a failure raises again")
h.equal(second, "wsgi.input: stalled", "with the same message")

local _, _, misuse, message = serve({}, nil, function(s) return pcall(s.read, s, {}) end)
h.equal(misuse, false, "read({}) is misuse")
h.check(tostring(message):find("bad argument to 'read'", 1, true), "and says so")

h.finish("input_test")
