local block = string.rep("d", 65536)
return function(e, sr)
  local n = tonumber(e.QUERY_STRING) or 128
  sr("200 OK", {})
  local i = 0
  return function() i = i + 1; if i <= n then return block end end
end
