import NIOCore

/// A message a WebSocket received, waiting for the application's `recv`: its kind is the
/// opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong; Lua names it), so no string is made
/// per message in Swift. A close carries its code (1005 when the frame had none) and its
/// reason as `data`.
struct WebSocketMessage {
    let kind: UInt8
    let data: ByteBuffer
    var code: UInt16 = 0

    var results: [OperationValue] {
        kind == WebSocketMessage.close ? [.bytes(data), .integer(Int(kind)), .integer(Int(code))]
                                       : [.bytes(data), .integer(Int(kind))]
    }

    static let text: UInt8 = 1, binary: UInt8 = 2, close: UInt8 = 8, ping: UInt8 = 9, pong: UInt8 = 10
}
