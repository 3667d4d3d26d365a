/// What `luagw.websocket.accept` asks of the connection its request came on: an HTTP/1.1
/// connection answers 101 and carries frames from then on (HTTPConnectionHandler+WebSocket).
protocol WebSocketUpgrading: AnyObject {
    /// Accepts the request's WebSocket: the handle, or `nil, err`.
    func acceptWebSocket(accept: String, protocol: String, maxPayload: Int) -> [OperationValue]
}
