-- database.lua (SPEC 13) without a server: parameters encoded as sqlite.c reads them, answers
-- decoded into rows, and db:transaction's commit or rollback decided by what fn did (the server's
-- side of each wait played here).
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local h = require "harness"
local P = h.C.protocol
P.DB_QUERY, P.DB_BEGIN, P.DB_END = 17, 18, 19
local database = h.load("database")
local pack, unpack = string.pack, string.unpack

-- Parameters: a count, then each tagged.
local encoded = database.encode("db:query", 5, 7, 2.5, "a\0b", true, nil)
h.equal(encoded, pack("<I4", 5) .. pack("<Bi8", 1, 7) .. pack("<Bd", 2, 2.5) .. pack("<Bs4", 3, "a\0b")
  .. pack("<BB", 4, 1) .. "\0", "parameters encoded")
local ok, err = pcall(database.encode, "db:query", 1, {})
h.check(not ok and err:find("bad argument #2 to 'db:query' %(a string, number, boolean, nil or luagw.null expected, got table%)"),
  "a table is refused: " .. tostring(err))

-- Rows: 'R', columns, names, rows, tagged cells.
local answer = "R" .. pack("<I4", 3) .. pack("<s4", "id") .. pack("<s4", "name") .. pack("<s4", "score") .. pack("<I4", 2)
  .. pack("<Bi8", 1, 1) .. pack("<Bs4", 3, "one") .. pack("<Bd", 2, 0.5)
  .. pack("<Bi8", 1, 2) .. "\0" .. pack("<BB", 4, 0)
local rows = database.decode(answer)
h.equal(rows.n, 2, "the row count")
h.equal(rows[1].id, 1, "an integer")
h.equal(math.type(rows[1].id), "integer", "stays an integer")
h.equal(rows[1].name, "one", "a string")
h.equal(rows[1].score, 0.5, "a float")
h.equal(tostring(rows[2].name), "null", "NULL is luagw.null")
h.equal(rows[2].score, false, "a boolean")
local counts = database.decode("E" .. pack("<i8i8", 3, 42))
h.equal(counts.changes, 3, "changes")
h.equal(counts.last_insert_id, 42, "last id")
h.equal(database.decode("R" .. pack("<I4I4", 0, 0)).n, 0, "no rows")

-- db:transaction: runs `fn` in a coroutine; the server's answers to each wait come from `serve`.
local function transaction(fn, serve)
  local db = database.new("sqlite", "/x.db", "rw 5")
  local ends = {}
  local co = coroutine.create(function() return db:transaction(fn) end)
  local results = { coroutine.resume(co) }
  while coroutine.status(co) == "suspended" do
    local op = results[4]
    if op == P.DB_END then ends[#ends + 1] = results[6] end
    results = { coroutine.resume(co, P.GO_ON, serve(op, table.unpack(results, 5))) }
  end
  h.equal(results[1], true, "the transaction ran: " .. tostring(results[2]))
  return ends, table.unpack(results, 2)
end
local function server(op)
  if op == P.DB_BEGIN then return 7 end
  if op == P.DB_END then return true end
  return "E" .. pack("<i8i8", 1, 1)
end

local ends, a, b = transaction(function(tx) assert(tx:exec("INSERT")) return "a", "b" end, server)
h.equal(ends[1], 1, "returned: commit")
h.equal(a .. b, "ab", "what fn returned")
local ends2, r2 = transaction(function(tx) tx:exec("INSERT") end, server)
h.equal(ends2[1], 1, "returned nothing: commit")
h.equal(r2, true, "true when nothing")
local ends3, r3, e3 = transaction(function(tx) tx:exec("INSERT") error("boom", 0) end, server)
h.equal(ends3[1], 0, "raised: rollback")
h.equal(r3, nil, "nil")
h.equal(e3, "boom", "the raised error is err")
local ends4, r4, e4 = transaction(function() return nil, "refused" end, server)
h.equal(ends4[1], 0, "nil, err: rollback")
h.equal(tostring(r4) .. "," .. e4, "nil,refused", "nil, err back")
local _, r5, e5 = transaction(function() end, function(op) if op == P.DB_BEGIN then return nil, "locked" end end)
h.equal(tostring(r5) .. "," .. e5, "nil,locked", "a BEGIN that fails")

h.finish("database_test")
