-- The shared half of the differential scripts of this folder (documented_examples.lua for ngx.re,
-- codec_examples.lua for the digests and argument helpers), each run as is by nginx + Lua (LuaJIT)
-- and by luagw (Lua 5.4) and its text compared. `dofile(...)(normalize)` returns `case` and
-- `text`: `case(label, fn)` runs `fn` under pcall and writes one line, the label and every result
-- serialized (tables with sorted keys, strings with their bytes outside printable ASCII as \ddd),
-- each result first given to `normalize` (what a host may word differently); `text()` is every
-- line so far.
return function(normalize)
  local out = {}

  local function show(v)
    local t = type(v)
    if t == "string" then
      return '"' .. v:gsub("[^ -~]", function(c) return string.format("\\%03d", c:byte()) end) .. '"'
    elseif t ~= "table" then
      return tostring(v)
    end
    local numbers, names = {}, {}
    for k in pairs(v) do
      if type(k) == "number" then numbers[#numbers + 1] = k else names[#names + 1] = k end
    end
    table.sort(numbers)
    table.sort(names)
    local parts = {}
    for _, k in ipairs(numbers) do parts[#parts + 1] = "[" .. k .. "]=" .. show(v[k]) end
    for _, k in ipairs(names) do parts[#parts + 1] = k .. "=" .. show(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end

  local function case(label, fn)
    local function collect(...) return select("#", ...), { ... } end
    local n, results = collect(pcall(fn))
    local parts = {}
    for i = 1, n do parts[i] = show(normalize(results[i])) end
    out[#out + 1] = label .. ": " .. table.concat(parts, " ")
  end

  local function text() return table.concat(out, "\n") .. "\n" end

  return case, text
end
