/// A frame that breaks RFC 6455 where NIOWebSocket does not check it (a mask, a reserved bit or
/// opcode, a close payload, UTF-8): the connection fails with `code`, and the application's
/// `recv` returns `nil, reason`.
struct WebSocketViolation: Error {
    let code: UInt16
    let reason: String

    static func protocolError(_ what: String) -> WebSocketViolation {
        WebSocketViolation(code: WebSocketCloseCodes.protocolError, reason: "protocol error: \(what)")
    }

    static let invalidUTF8 = WebSocketViolation(code: WebSocketCloseCodes.invalidData, reason: "invalid UTF-8")
    static let tooLarge = WebSocketViolation(code: WebSocketCloseCodes.tooLarge, reason: "message too large")
}
