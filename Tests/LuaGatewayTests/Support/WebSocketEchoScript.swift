/// The tests' WebSocket echo application: accepts, then sends each text message back until the
/// client closes or goes; `timeoutMilliseconds` sets its `recv`'s timeout (else --socket-timeout).
func webSocketEchoScript(timeoutMilliseconds: Int? = nil) -> String {
    """
    local websocket = require "luagw.websocket"
    return function(environ, start_response)
      local ws = assert(websocket.accept(environ))
      \(timeoutMilliseconds.map { "ws:settimeout(\($0))" } ?? "")
      while true do
        local data, kind = ws:recv()
        if not data or kind == "close" then return end
        ws:send_text(data)
      end
    end
    """
}
