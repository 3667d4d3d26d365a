-- A small notes service built from SPEC 8's pieces: a router for a JSON API, luagw.web.request
-- and .response, a database as the store (SPEC 13, _notes_store.lua: SQLite in notes.db beside
-- this file, or PostgreSQL when LUAGW_DATABASE_URL says so), gzip around it all, and the page
-- itself from public/notes.html. Open http://127.0.0.1:8080/notes.html.
local web = {
  router = require "luagw.web.router",
  request = require "luagw.web.request",
  response = require "luagw.web.response",
  gzip = require "luagw.web.gzip",
}
local store = require "_notes_store"

local function json(value, status)
  return web.response.json(value, status)
end

-- A database that failed: 503 with its message in the log, not the client's page.
local function unavailable(environ, start_response, err)
  environ["wsgi.errors"]:write("notes: the database failed: ", tostring(err), "\n")
  return json({ error = "the notes are unavailable, try again" }, 503)(environ, start_response)
end

local r = web.router.new()

r:get("/api/notes", function(environ, start_response)
  local notes, err = store.all()
  if not notes then return unavailable(environ, start_response, err) end
  notes.n = nil
  if #notes == 0 then  -- lua-cjson writes an empty table as {}: a list must stay a list
    return web.response{ headers = { { "Content-Type", "application/json" } }, body = "[]" }(environ, start_response)
  end
  return json(notes)(environ, start_response)
end)

r:post("/api/notes", function(environ, start_response)
  local req = web.request(environ)
  local body = req:json() or {}
  local text = type(body.text) == "string" and body.text or req.form.text
  if not text or text:match("^%s*$") then
    return json({ error = "a note needs some text" }, 400)(environ, start_response)
  end
  if #text > 2000 then return json({ error = "a note holds 2,000 bytes at most" }, 413)(environ, start_response) end
  local id, err = store.add(text)
  if not id then return unavailable(environ, start_response, err) end
  local res = json({ id = id, text = text }, 201)
  res:header("Location", r:url_for("note", { id = id }))
  return res(environ, start_response)
end)

r:get("/api/notes/:id", function(environ, start_response)
  local note, err = store.get(tonumber(environ["luagw.params"].id))
  if note == nil then return unavailable(environ, start_response, err) end
  if not note then return json({ error = "no such note" }, 404)(environ, start_response) end
  return json(note)(environ, start_response)
end, { name = "note" })

r:delete("/api/notes/:id", function(environ, start_response)
  local done, err = store.delete(tonumber(environ["luagw.params"].id))
  if not done then return unavailable(environ, start_response, err) end
  return web.response{ status = 204 }(environ, start_response)
end)

r:get("/", function(environ, start_response)
  return web.response.redirect("/notes.html")(environ, start_response)
end)

return web.gzip(r)
