-- Allocates without bound: 1 MB strings, or (?small) a chain of small tables, which the
-- memory cap must stop as surely as large allocations.
return function(e, sr)
  if e.QUERY_STRING == "small" then
    local t
    while true do t = { t, 1, 2 } end
  end
  local t = {}
  while true do t[#t + 1] = string.rep("x", 1000000) .. #t end
end
