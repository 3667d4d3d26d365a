internal import CLuaGatewayBridge
import NIOCore

/// `ws:send_text`, `send_binary`, `ping`, `pong` and `close` (SPEC 12): the frame is written at
/// once and the send answers its bytes, unless the client is slow (the channel is not writable):
/// then it waits until the client took enough (`WebSocketSendWait`).
enum WebSocketSend {
    static let number = Int(LUAGW_OPERATION_WS_SEND.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let handle = call.numberArgument(0), let opcode = call.numberArgument(1),
              let payload = call.bytesArgument(2), let seconds = call.numberArgument(3) else {
            return .failure(OperationError("send: bad arguments"))
        }
        guard let session = context.webSockets.session(Int(handle)) else {
            return answer(OperationValue.failure("closed"), completion)
        }
        switch session.send(opcode: UInt8(clamping: Int(opcode)), payload: payload) {
        case .failed(let reason):
            return answer(OperationValue.failure(reason), completion)
        case .written(let bytes, waits: false):
            return answer([.integer(bytes)], completion)
        case .written(let bytes, waits: true):
            let wait = WebSocketSendWait(session: session, bytes: bytes, completion: completion)
            session.waitForWritability(wait)
            wait.arm(timeout: .seconds(from: seconds), on: context.eventLoop)
            return .success(wait)
        }
    }
}
