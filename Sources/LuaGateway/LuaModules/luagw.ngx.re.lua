-- `ngx.re` (OpenResty's regular expressions, on the system's PCRE2; luagw.ngx sets it): match,
-- find, gmatch, sub and gsub with OpenResty's option letters, results and messages. Patterns with
-- the `o` option are compiled once per state (at most MAX_CACHED of them, as OpenResty's
-- lua_regex_cache_max_entries; past that they are compiled per call); others per call.
local C = ...
local R = C.regex_library()
local options, compile, c_match, c_find, c_sub, free = R.options, R.compile, R.match, R.find, R.sub, R.free
local type, tostring, error, format = type, tostring, error, string.format
local sub, find, concat = string.sub, string.find, table.concat

local MAX_CACHED = 1024

local parsed = {}   -- option letters -> { PCRE2 options, run flags, compile once }
local cached = {}   -- option letters -> pattern -> compiled pattern (`o` only)
local ncached = 0

-- The options' parse, cached; an unknown letter raises at the caller of ngx.re.* (OpenResty's message).
local function parse(opts)
  local p = parsed[opts]
  if p then return p end
  local pcre, run = options(opts)
  if not pcre then error(format('unknown flag "%s" (flags "%s")', run, opts), 4) end
  p = { pcre, run, find(opts, "o", 1, true) ~= nil }
  parsed[opts] = p
  return p
end

-- The compiled `regex` for the letters `opts` and whether the cache keeps it (if not, the caller
-- frees it once done, as OpenResty does), or nil and PCRE2's message.
local function compiled(regex, opts)
  if type(opts) ~= "string" then opts = opts == nil and "" or tostring(opts) end
  local by_pattern = cached[opts]
  local re = by_pattern and by_pattern[regex]
  if re then return re, true end
  local p = parse(opts)
  local err
  re, err = compile(regex, p[1], p[2])
  if not re then return nil, err end
  if not p[3] or ncached >= MAX_CACHED then return re, false end
  if not by_pattern then
    by_pattern = {}
    cached[opts] = by_pattern
  end
  by_pattern[regex] = re
  ncached = ncached + 1
  return re, true
end

-- Where a match starts: ctx.pos (1-based) or the beginning.
local function start_of(ctx)
  local pos = ctx and ctx.pos
  if not pos or pos <= 0 then return 0 end
  return pos - 1
end

local M = {}

-- captures, err = ngx.re.match(subject, regex, options?, ctx?, res_table?)
function M.match(subject, regex, opts, ctx, res)
  if type(subject) ~= "string" then subject = tostring(subject) end
  local re, kept = compiled(regex, opts)
  if not re then return nil, kept end
  local m, from, to = c_match(re, subject, start_of(ctx), res)
  if not kept then free(re) end
  if m == nil then return nil end
  if not m then return nil, from end
  if ctx then ctx.pos = to + 1 end
  return m
end

-- from, to, err = ngx.re.find(subject, regex, options?, ctx?, nth?)
function M.find(subject, regex, opts, ctx, nth)
  if type(subject) ~= "string" then subject = tostring(subject) end
  local re, kept = compiled(regex, opts)
  if not re then return nil, nil, kept end
  if not nth or nth < 0 then nth = 0 end
  local from, to, last = c_find(re, subject, start_of(ctx), nth)
  if not kept then free(re) end
  if from == nil then return nil end
  if from == "nth" then return nil, nil, "nth out of bound" end
  if from == false and last == nil then return nil, nil, to end
  if ctx then ctx.pos = last + 1 end
  if not from then return nil, nil end
  return from, to
end

-- iterator, err = ngx.re.gmatch(subject, regex, options?): each call, the next match's captures,
-- nil at the end, or nil and a message.
function M.gmatch(subject, regex, opts)
  if type(subject) ~= "string" then subject = tostring(subject) end
  local re, kept = compiled(regex, opts)
  if not re then return nil, kept end
  local pos, length = 0, #subject
  return function()
    if not pos then return nil end
    local m, from, to = c_match(re, subject, pos)
    if not m then
      pos = nil
      if not kept then free(re) end
      if m == nil then return nil end
      return nil, from
    end
    pos = to
    if to == from then  -- an empty match: on by a byte
      pos = to + 1
      if pos > length then pos = nil end
    end
    return m
  end
end

-- The substitution with a function: called with each match's captures, its result as text.
local function sub_function(re, subject, replace, global)
  local out, n, count, pos, copied, length = {}, 0, 0, 0, 0, #subject
  while true do
    local m, from, to = c_match(re, subject, pos)
    if m == nil then break end
    if m == false then return nil, nil, from end
    count = count + 1
    out[n + 1], out[n + 2], n = sub(subject, copied + 1, from), tostring(replace(m)), n + 2
    copied, pos = to, to
    if to == from then
      pos = to + 1
      if pos > length then break end
    end
    if not global then break end
  end
  if count == 0 then return subject, 0 end
  out[n + 1] = sub(subject, copied + 1)
  return concat(out), count
end

local function substitute(subject, regex, replace, opts, global)
  if type(subject) ~= "string" then subject = tostring(subject) end
  local re, kept = compiled(regex, opts)
  if not re then return nil, nil, kept end
  local s, count, err
  if type(replace) == "function" then
    s, count, err = sub_function(re, subject, replace, global)
  else
    s, count = c_sub(re, subject, type(replace) == "string" and replace or tostring(replace), global)
    if s == nil then
      err = "failed to compile the replacement template"
    elseif s == false then
      err = count
    end
  end
  if not kept then free(re) end
  if err then return nil, nil, err end
  return s, count
end

-- newstr, n, err = ngx.re.sub(subject, regex, replace, options?)
function M.sub(subject, regex, replace, opts)
  return substitute(subject, regex, replace, opts, false)
end

-- newstr, n, err = ngx.re.gsub(subject, regex, replace, options?)
function M.gsub(subject, regex, replace, opts)
  return substitute(subject, regex, replace, opts, true)
end

return M
