-- bench/websocket: a WebSocket that waits, for what an idle one costs.
local serve = require "_serve"

return serve(function() end, { timeout_ms = 600000 })
