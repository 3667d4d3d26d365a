-- A small notes service built from SPEC 8's pieces: a router for a JSON API, luagw.web.request
-- and .response, luagw.shared as the store (it survives reloads; it is in memory and per process:
-- a real service would keep notes in a database, e.g. Redis through luagw.ngx), gzip around it
-- all, and the page itself from public/notes.html. Open http://127.0.0.1:8080/notes.html.
local web = {
  router = require "luagw.web.router",
  request = require "luagw.web.request",
  response = require "luagw.web.response",
  gzip = require "luagw.web.gzip",
}
local store = require("luagw").shared.notes

local function json(value, status)
  return web.response.json(value, status)
end

local function all_notes()
  local notes = {}
  for _, key in ipairs(store:keys(0)) do
    local id = tonumber(key:match("^note:(%d+)$"))
    if id then notes[#notes + 1] = { id = id, text = store:get(key) } end
  end
  table.sort(notes, function(a, b) return a.id > b.id end)
  return notes
end

local r = web.router.new()

r:get("/api/notes", function(environ, start_response)
  local notes = all_notes()
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
  local id = store:incr("next", 1, 0)
  store:set("note:" .. id, text)
  local res = json({ id = id, text = text }, 201)
  res:header("Location", r:url_for("note", { id = id }))
  return res(environ, start_response)
end)

r:get("/api/notes/:id", function(environ, start_response)
  local text = store:get("note:" .. environ["luagw.params"].id)
  if not text then return json({ error = "no such note" }, 404)(environ, start_response) end
  return json({ id = tonumber(environ["luagw.params"].id), text = text })(environ, start_response)
end, { name = "note" })

r:delete("/api/notes/:id", function(environ, start_response)
  store:delete("note:" .. environ["luagw.params"].id)
  return web.response{ status = 204 }(environ, start_response)
end)

r:get("/", function(environ, start_response)
  return web.response.redirect("/notes.html")(environ, start_response)
end)

return web.gzip(r)
