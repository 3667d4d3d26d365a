internal import CLuaGatewayBridge
import NIOCore
import NIOWebSocket

/// What RFC 6455 asks of a frame from a client that NIOWebSocket's decoder does not check: a
/// mask on every frame (§5.1), no reserved bit without an extension (none is ever agreed, §5.2),
/// no reserved opcode, and a close payload that is empty or a valid code with a UTF-8 reason
/// (§5.5.1, §7.4). A bad frame is not passed on: a `WebSocketViolation` is, as an error.
final class WebSocketFrameCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if let violation = Self.violation(in: frame) {
            context.fireErrorCaught(violation)
        } else {
            context.fireChannelRead(data)
        }
    }

    static func violation(in frame: WebSocketFrame) -> WebSocketViolation? {
        if frame.maskKey == nil { return .protocolError("a frame from the client is not masked") }
        if !frame.reservedBits.isEmpty { return .protocolError("a reserved bit is set") }
        switch frame.opcode {
        case .continuation, .text, .binary, .ping, .pong:
            return nil
        case .connectionClose:
            return closeViolation(frame.unmaskedData)
        default:
            return .protocolError("a reserved opcode")
        }
    }

    private static func closeViolation(_ payload: ByteBuffer) -> WebSocketViolation? {
        if payload.readableBytes == 0 { return nil }
        guard let code = payload.getInteger(at: payload.readerIndex, as: UInt16.self), payload.readableBytes >= 2 else {
            return .protocolError("a close frame of one byte")
        }
        if !WebSocketCloseCodes.isValidReceived(code) { return .protocolError("close code \(code)") }
        let reason = payload.getSlice(at: payload.readerIndex + 2, length: payload.readableBytes - 2)!
        return isUTF8(reason) ? nil : .invalidUTF8
    }

    static func isUTF8(_ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes { raw in
            luagw_utf8_valid(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count) != 0
        }
    }
}
