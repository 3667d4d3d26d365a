-- bench: one row by key from PostgreSQL per request, through luagw.postgres's pool.
local db = require("luagw").postgres.connect(os.getenv("BENCH_DATABASE_URL"))
local random = math.random

return function(environ, start_response)
  local rows = assert(db:query("SELECT id, name, score FROM items WHERE id = $1", random(10000)))
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return rows[1].name
end
