/// What the server itself needs from a request's head, found while the decoder checks it.
struct RequestHeadFacts {
    /// The incoming X-Request-Id, if any (checked for validity by the caller).
    var requestID: String?
    /// `Expect: 100-continue` on HTTP/1.1 (an HTTP/1.0 client never gets a 1xx, RFC 9110 §15.2).
    var expectsContinue = false
    /// The declared body length (Content-Length), when the body is not chunked.
    var contentLength: Int?
    /// Whether a body may follow the head: false when it frames none (no Content-Length, not
    /// chunked), and on HTTP/1 the request's body has ended with its head. Not for an HTTP/2
    /// stream's head: its frames say where its body ends.
    var hasBody = true
    /// Bytes of all header names and values.
    var headerBytes = 0
    /// The connection must close after this request (HTTP/1.0 with Transfer-Encoding, RFC 9112 §6.1).
    var mustClose = false
    /// An HTTP/1.1 request without a body that asks for a WebSocket (`Upgrade: websocket`,
    /// `Connection: upgrade`; the parser adds GET): bytes after its head may be frames.
    var webSocketUpgrade = false
}
