return function(e, sr) error("deliberate failure") end
