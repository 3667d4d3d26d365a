-- bench/ngx-hello, bench/instructions (ngx): an OpenResty content handler (bench/peers/nginx-ngx-hello.conf's)
-- run by luagw.ngx.app.
return require("luagw.ngx").app(function()
  ngx.say("Hello, world!")
end)
