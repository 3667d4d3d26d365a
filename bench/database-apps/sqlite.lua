-- bench: one row by key from SQLite per request (a table of 10,000 made by bench/databases).
local db = require("luagw").sqlite.open(os.getenv("BENCH_SQLITE_FILE"))
local random = math.random

return function(environ, start_response)
  local rows = assert(db:query("SELECT id, name, score FROM items WHERE id = ?", random(10000)))
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return rows[1].name
end
