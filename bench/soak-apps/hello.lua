return function(e, sr) sr("200 OK", {{"Content-Type", "text/plain"}}); return "Hello, world!\n" end
