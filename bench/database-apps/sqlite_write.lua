-- bench: one insert per request (bench/databases posts them at a fixed rate beside the reads).
local db = require("luagw").sqlite.open(os.getenv("BENCH_SQLITE_FILE"))

return function(environ, start_response)
  local done = assert(db:exec("INSERT INTO events (body) VALUES (?)", environ["wsgi.input"]:read("a")))
  start_response("200 OK", { {"Content-Type", "text/plain"} })
  return tostring(done.last_insert_id)
end
