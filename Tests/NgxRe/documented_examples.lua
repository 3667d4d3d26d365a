-- OpenResty's documented ngx.re examples (lua-nginx-module's README, ngx.re.match to
-- ngx.re.gsub) and the edge cases its tests pin, each call's results serialized one a line.
-- Run as is by nginx + Lua (LuaJIT) and by luagw (Lua 5.4): NgxRegexTests compares the texts.
-- Returns the text; `ngx` is the host's. The serializing is differential.lua's.

-- A message from the regex compiler names its library (PCRE or PCRE2) and words: only its kind.
local function message(v)
  if type(v) == "string" and v:find("^pcre2?_compile%(%) failed") then return "<compile error>" end
  if type(v) == "string" and v:find("unknown flag", 1, true) then return v:match("unknown flag.*") end
  return v
end

local case, text = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "differential.lua")(message)

local re = ngx.re

-- ngx.re.match
case("match digits", function() return re.match("hello, 1234", "[0-9]+") end)
case("match group", function() return re.match("hello, 1234", "([0-9])[0-9]+") end)
case("match named", function() return re.match("hello, 1234", "([0-9])(?<remaining>[0-9]+)") end)
case("match unmatched", function() return re.match("hello, world", "(world)|(hello)|(?<named>howdy)") end)
case("match D", function() return re.match("hello, world", "(?<named>\\w+), (?<named>\\w+)", "D") end)
case("match ix", function() return re.match("hello, world", "HEL LO", "ix") end)
case("match iu", function() return re.match("hello, 美好生活", "HELLO, (.{2})", "iu") end)
case("match ctx", function()
  local ctx = {}
  local m = re.match("1234, hello", "[0-9]+", "", ctx)
  return m, ctx.pos
end)
case("match ctx.pos", function()
  local ctx = { pos = 2 }
  local m = re.match("1234, hello", "[0-9]+", "", ctx)
  return m, ctx.pos
end)
case("match no match", function() return re.match("hello", "[0-9]+") end)
case("match no match keeps ctx", function()
  local ctx = { pos = 3 }
  local m = re.match("hello", "[0-9]+", "", ctx)
  return m, ctx.pos
end)
case("match bad regex", function() return re.match("hello", "(abc") end)
case("match unknown flag", function() return re.match("hello", "h", "z") end)
case("match a", function() return re.match("hello, 1234", "[0-9]+", "a") end)
case("match a lexer", function()
  local ctx, tokens = { pos = 1 }, {}
  while true do
    local m = re.match("ab 12 cd", "\\s*([a-z]+|[0-9]+)", "a", ctx)
    if not m then break end
    tokens[#tokens + 1] = m[1] .. "@" .. ctx.pos
  end
  return tokens
end)
case("match d", function() return re.match("hello", "he|hel|hello", "d") end)
case("match not d", function() return re.match("hello", "he|hel|hello") end)
case("match m", function() return re.match("a\nb", "^b", "m") end)
case("match s", function() return re.match("a\nb", "a.b", "s") end)
case("match jo", function() return re.match("hello, 1234", "([0-9]+)", "jo") end)
case("match J", function() return re.match("A", "\\u0041", "J") end)
case("match U", function() return re.match("美好", "(.)", "U") end)
case("match res_table", function()
  local t = {}
  local m = re.match("hello, 1234", "([0-9])", "", nil, t)
  return m == t, t
end)
case("match number subject", function() return re.match(12345, "3(4)") end)
-- ngx.re.find
case("find", function() return re.find("hello, 1234", "([0-9]+)", "jo") end)
case("find nth", function() return re.find("hello, 1234", "([0-9])([0-9]+)", "jo", nil, 2) end)
case("find nth unmatched", function() return re.find("hello", "(x)?hello", "", nil, 1) end)
case("find nth out of bound", function() return re.find("hello, 1234", "([0-9])", "", nil, 2) end)
case("find no match", function() return re.find("hello", "[0-9]") end)
case("find ctx", function()
  local ctx = { pos = 3 }
  local from, to = re.find("1234, 5678", "[0-9]+", "", ctx)
  return from, to, ctx.pos
end)
case("find bad regex", function() return re.find("hello", "[a") end)
-- ngx.re.gmatch
local function all(it, err)
  if not it then return nil, err end
  local list = {}
  while true do
    local m, e = it()
    if e then return list, e end
    if not m then return list end
    list[#list + 1] = m
  end
end
case("gmatch", function() return all(re.gmatch("hello, world!", "([a-z]+)", "i")) end)
case("gmatch empty matches", function() return all(re.gmatch("ab", "x*")) end)
case("gmatch bad regex", function() return re.gmatch("hello", "(") end)
case("gmatch after end", function()
  local it = re.gmatch("a", "a")
  local first, second, third = it(), it(), it()
  return first, second, third
end)
-- ngx.re.sub
case("sub template", function() return re.sub("hello, 1234", "([0-9])[0-9]", "[$0][$1]") end)
case("sub braces", function() return re.sub("hello, 1234", "[0-9]", "${0}00") end)
case("sub dollar", function() return re.sub("hello, 1234", "[0-9]", "$$") end)
case("sub function x", function()
  return re.sub("hello, 1234", "( [0-9] ) [0-9]", function(m) return "[" .. m[0] .. "][" .. m[1] .. "]" end, "x")
end)
case("sub no match", function() return re.sub("hello", "[0-9]", "x") end)
case("sub bad template $", function() return re.sub("hello", "h", "a$") end)
case("sub bad template ${1", function() return re.sub("hello", "h", "${1") end)
case("sub named template", function() return re.sub("hello", "(?<x>h)", "$x") end)
case("sub function nil", function() return re.sub("hello", "l", function() return nil end) end)
case("sub bad regex", function() return re.sub("hello", "(", "x") end)
-- ngx.re.gsub
case("gsub template", function() return re.gsub("hello, world", "([a-z])[a-z]+", "[$0,$1]", "i") end)
case("gsub function", function()
  return re.gsub("hello, world", "([a-z])[a-z]+", function(m) return "[" .. m[0] .. "," .. m[1] .. "]" end, "i")
end)
case("gsub empty matches", function() return re.gsub("abc", "x*", "-") end)
case("gsub empty pattern function", function() return re.gsub("ab", "", function(m) return "<" .. m[0] .. ">" end) end)
case("gsub unmatched group", function() return re.gsub("abab", "(x)?(a)", "[$1$2]") end)
case("gsub group past the count", function() return re.gsub("ab", "(a)", "[$1$2]") end)
case("gsub number", function() return re.gsub(12345, "3", 9) end)
case("gsub o", function() return re.gsub("a1b22", "[0-9]+", "#", "jo") end)

-- edge cases of lua-nginx-module's t/034-match.t, 036-sub.t, 037-gsub.t, 038-match-o.t, 120-re-find.t
case("match empty pattern", function() return re.match("abc", "") end)
case("match nil subject", function() return re.match(nil, "nil") end)
case("match same name without D", function() return re.match("ab", "(?<n>a)(?<n>b)") end)
case("match D one unmatched", function() return re.match("b", "(?<n>a)?(?<n>b)", "D") end)
case("match D none matched", function() return re.match("c", "(?<n>a)?(?<n>b)?c", "D") end)
case("match names false", function() return re.match("b", "(?<n>a)|(?<m>b)") end)
case("match d groups", function() return re.match("abc", "(a)(b)", "d") end)
case("match iu folding", function() return re.match("ÉCOLE", "école", "iu") end)
case("match o twice", function()
  local a = re.match("a1", "[0-9]", "o")
  local b = re.match("b2", "[0-9]", "o")
  return a, b
end)
case("find empty match", function() return re.find("abc", "x*") end)
case("find ctx pos at end", function()
  local ctx = { pos = 4 }
  local from, to = re.find("abc", "$", "", ctx)
  return from, to, ctx.pos
end)
case("gmatch a", function() return all(re.gmatch("aaa b", "a", "a")) end)
case("gmatch d", function() return all(re.gmatch("ab abc", "ab|abc", "d")) end)
case("gmatch names", function() return all(re.gmatch("k=v, x=y", "(?<key>\\w+)=(?<value>\\w+)")) end)
case("sub $10", function() return re.sub("abc", "(b)", "[$10]") end)
case("sub $0$", function() return re.sub("abc", "b", "$0$") end)
case("sub empty subject", function() return re.gsub("", "", "x") end)
case("sub digits after group", function() return re.sub("abc", "(b)", "$1x${1}1") end)
case("gsub m anchors", function() return re.gsub("a\nb\nc", "^", ">", "m") end)
case("gsub function count", function()
  local seen = {}
  local s, n = re.gsub("a,b,,c", "[^,]*", function(m) seen[#seen + 1] = m[0]; return "<" .. m[0] .. ">" end)
  return s, n, table.concat(seen, "|")
end)
case("gsub jo templates", function() return re.gsub("2024-01-31", "([0-9]+)-([0-9]+)-([0-9]+)", "$3/$2/$1", "jo") end)

return text()
