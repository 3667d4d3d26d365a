-- SPEC 13's databases, the part every kind shares (luagw.sqlite, luagw.postgres): a `db` object whose
-- statements run on the server's database threads (SQLite) or a worker's connections
-- (PostgreSQL) while the request's coroutine waits;
-- parameters encoded for them with string.pack, answers decoded with string.unpack (the
-- layout is in Sources/CLuaGatewayBridge/sqlite.c's header comment); transactions.
local C, need = ...
local wait = need("wait").wait
local sqlite_now = C.sqlite_now
local null = need("luagw").null
local P = C.protocol
local DB_QUERY, DB_BEGIN, DB_END = P.DB_QUERY, P.DB_BEGIN, P.DB_END
local pack, unpack, byte, format, concat = string.pack, string.unpack, string.byte, string.format, table.concat
local type, select, error, pcall, tostring, setmetatable = type, select, error, pcall, tostring, setmetatable
local math_type, table_pack, table_unpack = math.type, table.pack, table.unpack
local isyieldable = coroutine.isyieldable

local M = {}

-- The parameters `...` (n of them) of the function `name`, encoded: a count, then each value
-- tagged (0 null, 1 integer, 2 float, 3 string, 4 boolean).
local function encode(name, n, ...)
  local parts = { pack("<I4", n) }
  for i = 1, n do
    local value = select(i, ...)
    local kind = type(value)
    if value == nil or value == null then
      parts[i + 1] = "\0"
    elseif kind == "number" then
      parts[i + 1] = math_type(value) == "integer" and pack("<Bi8", 1, value) or pack("<Bd", 2, value)
    elseif kind == "string" then
      parts[i + 1] = pack("<Bs4", 3, value)
    elseif kind == "boolean" then
      parts[i + 1] = pack("<BB", 4, value and 1 or 0)
    else
      error(format("bad argument #%d to '%s' (a string, number, boolean, nil or luagw.null expected, got %s)",
        i + 1, name, kind), 4)
    end
  end
  return concat(parts)
end

-- One cell at `pos`: its value and where the next starts.
local function cell(s, pos)
  local tag = byte(s, pos)
  if tag == 0 then return null, pos + 1 end
  if tag == 1 then return unpack("<i8", s, pos + 1) end
  if tag == 2 then return unpack("<d", s, pos + 1) end
  if tag == 3 then return unpack("<s4", s, pos + 1) end
  return byte(s, pos + 1) == 1, pos + 2
end

-- An answer: rows (an array of tables keyed by column name, with `n`), or an exec's counts
-- ('E' SQLite's changes and last id, 'C' PostgreSQL's changes only).
local function decode(s)
  local kind = byte(s, 1)
  if kind == 69 then  -- 'E'
    local changes, last = unpack("<i8i8", s, 2)
    return { changes = changes, last_insert_id = last }
  end
  if kind == 67 then  -- 'C'
    return { changes = (unpack("<i8", s, 2)) }
  end
  local columns, pos = unpack("<I4", s, 2)
  local names = {}
  for c = 1, columns do names[c], pos = unpack("<s4", s, pos) end
  local count
  count, pos = unpack("<I4", s, pos)
  local rows = { n = count }
  for r = 1, count do
    local row = {}
    for c = 1, columns do row[names[c]], pos = cell(s, pos) end
    rows[r] = row
  end
  return rows
end

-- A database reached over the network (PostgreSQL) cannot be waited for where Lua cannot
-- yield, a script's top level above all: say where the statement can run instead.
local function must_wait(db, name, level)
  if db.now or isyieldable() then return end
  error(format("%s: a %s statement cannot run at a script's top level (it would block every request of the "
    .. "worker): run it in a request (a schema in the first one, once: keep a flag), or in a timer that a "
    .. "request starts (luagw.timer.at(0, fn)), or beforehand with psql", name, db.kind), level + 1)
end

local function run(db, name, exec, transaction, sql, ...)
  if type(sql) ~= "string" then
    error(format("bad argument #1 to '%s' (SQL as a string expected, got %s)", name, type(sql)), 3)
  end
  if db.closed then return nil, "the database is closed" end
  local answer, err
  if db.now and not transaction and not isyieldable() then
    -- A script's top level cannot wait: a schema made there runs at once (SQLite only, a local file).
    answer, err = sqlite_now(db.target, db.now.readonly, db.now.busy_ms, sql, encode(name, select("#", ...), ...), exec)
    if not answer then return nil, err end
    return decode(answer)
  end
  must_wait(db, name, 3)
  answer, err = wait(name, DB_QUERY, db.kind, db.target, db.options, sql, encode(name, select("#", ...), ...),
    exec and 1 or 0, transaction or 0)
  if not answer then return nil, err end
  return decode(answer)
end

local Transaction = {}
Transaction.__index = Transaction

function Transaction:query(sql, ...)
  return run(self.db, "tx:query", false, self.number or -1, sql, ...)
end

function Transaction:exec(sql, ...)
  return run(self.db, "tx:exec", true, self.number or -1, sql, ...)
end

local Database = {}
Database.__index = Database

function Database:query(sql, ...)
  return run(self, "db:query", false, nil, sql, ...)
end

function Database:exec(sql, ...)
  return run(self, "db:exec", true, nil, sql, ...)
end

-- Runs fn(tx) in a transaction: commits when it returns (what it returned, or true), rolls
-- back when it raises or returns nil, err (then nil, err).
function Database:transaction(fn)
  if type(fn) ~= "function" then
    error(format("bad argument #1 to 'db:transaction' (a function expected, got %s)", type(fn)), 2)
  end
  if self.closed then return nil, "the database is closed" end
  must_wait(self, "db:transaction", 2)
  local number, err = wait("db:transaction", DB_BEGIN, self.kind, self.target, self.options)
  if not number then return nil, err end
  local tx = setmetatable({ db = self, number = number }, Transaction)
  local results = table_pack(pcall(fn, tx))
  local raised = not results[1]
  local refused = not raised and results.n >= 3 and results[2] == nil
  tx.number = nil
  local ended, end_err = wait("db:transaction", DB_END, number, (raised or refused) and 0 or 1)
  if raised then return nil, tostring(results[2]) end
  if refused then return nil, results[3] end
  if not ended then return nil, end_err end
  if results.n == 1 or (results.n == 2 and results[2] == nil) then return true end
  return table_unpack(results, 2, results.n)
end

-- Forgets the database: later calls answer nil, "the database is closed" (its connections are
-- the server's, shared with every other `db` of the same file, and stay open for them).
function Database:close()
  self.closed = true
  return true
end

-- A `db` for the database of `kind` at `target`, with `options` (the server's key for it);
-- `now`: how to run a statement at once where the caller cannot wait (SQLite's readonly, busy_ms).
function M.new(kind, target, options, now)
  return setmetatable({ kind = kind, target = target, options = options, now = now }, Database)
end

M.encode, M.decode = encode, decode
return M
