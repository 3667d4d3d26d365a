/// The close codes of RFC 6455 §7.4 that luagw sends, and which a peer may send.
enum WebSocketCloseCodes {
    static let normal: UInt16 = 1000
    static let goingAway: UInt16 = 1001
    static let protocolError: UInt16 = 1002
    /// Never on the wire: what a close frame without a code stands for.
    static let noCode: UInt16 = 1005
    static let invalidData: UInt16 = 1007
    static let tooLarge: UInt16 = 1009
    static let serverError: UInt16 = 1011

    /// Whether a close frame received may carry `code` (RFC 6455 §7.4.1-2: 1000-1003, 1007-1014
    /// as registered, 3000-4999 for libraries and applications).
    static func isValidReceived(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
