-- bench/middleware: a 64 KiB text body compressed by luagw.web.gzip at level 1, nginx's default gzip_comp_level.
local lines = {}
for i = 1, 1024 do lines[i] = string.format("line %04d: the quick brown fox jumps over the lazy dog %08x\n", i, i * 2654435761 % 4294967296) end
local text = table.concat(lines):sub(1, 65536)
return require("luagw.web.gzip")(function(environ, start_response)
  start_response("200 OK", { { "Content-Type", "text/plain" } })
  return text
end, { level = 1 })
