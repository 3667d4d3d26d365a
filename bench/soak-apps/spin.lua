return function(e, sr) while true do end end
