-- Where examples/notes.lua keeps its notes (SPEC 13): in SQLite, a file beside the examples
-- made on first use (LUAGW_NOTES_FILE names another), or in PostgreSQL when
-- LUAGW_DATABASE_URL says so (postgres://user:pass@host/name). Both take the same SQL but for
-- their placeholders. A file whose name starts with `_` is a helper: never mounted.
local luagw = require "luagw"

local url = os.getenv("LUAGW_DATABASE_URL")
local postgres = url ~= nil and url ~= ""
local db = postgres and luagw.postgres.connect(url) or luagw.sqlite.open(os.getenv("LUAGW_NOTES_FILE") or "notes.db")

local sql = {
  schema = postgres
    and "CREATE TABLE IF NOT EXISTS notes (id bigserial PRIMARY KEY, text text NOT NULL, created timestamptz NOT NULL DEFAULT now())"
    or "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))",
  all = "SELECT id, text FROM notes ORDER BY id DESC LIMIT 100",
  add = postgres and "INSERT INTO notes (text) VALUES ($1) RETURNING id" or "INSERT INTO notes (text) VALUES (?) RETURNING id",
  one = postgres and "SELECT id, text FROM notes WHERE id = $1" or "SELECT id, text FROM notes WHERE id = ?",
  delete = postgres and "DELETE FROM notes WHERE id = $1" or "DELETE FROM notes WHERE id = ?",
}

-- The table is made by the first request that needs it (a script's top level cannot wait
-- on PostgreSQL; SQLite could make it at load, one way for both is simpler to read).
local ready = false
local function prepared()
  if ready then return true end
  local ok, err = db:exec(sql.schema)
  ready = ok and true or false
  return ok, err
end

local store = {}

-- The newest notes first: an array of { id = , text = }, or nil, err.
function store.all()
  local ok, err = prepared()
  if not ok then return nil, err end
  return db:query(sql.all)
end

-- A new note's id, or nil, err.
function store.add(text)
  local ok, err = prepared()
  if not ok then return nil, err end
  local rows, failure = db:query(sql.add, text)
  return rows and rows[1].id, failure
end

-- The note with `id` ({ id = , text = }), false when there is none, or nil, err.
function store.get(id)
  local ok, err = prepared()
  if not ok then return nil, err end
  local rows, failure = db:query(sql.one, id)
  if not rows then return nil, failure end
  return rows[1] or false
end

function store.delete(id)
  local ok, err = prepared()
  if not ok then return nil, err end
  return db:exec(sql.delete, id)
end

return store
