return function(e, sr)
  local input, total = e["wsgi.input"], 0
  while true do
    local chunk = input:read(65536)
    if not chunk then break end
    total = total + #chunk
  end
  sr("200 OK", {})
  return tostring(total)
end
