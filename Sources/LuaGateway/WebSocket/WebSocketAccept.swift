internal import CLuaGatewayBridge
import NIOCore

/// `luagw.websocket.accept` (SPEC 12), once luagw.websocket.lua has checked the handshake and
/// computed the accept value: the request's connection answers 101 and switches to frames, at once.
/// Only the request itself, on HTTP/1.1, may: a light thread, a timer, an HTTP/2 stream or
/// `luagw cgi` has no connection to switch.
enum WebSocketAccept {
    static let number = Int(LUAGW_OPERATION_WS_ACCEPT.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let accept = call.stringArgument(0), let chosen = call.stringArgument(1),
              let maxPayload = call.numberArgument(2) else {
            return .failure(OperationError("luagw.websocket.accept: bad arguments"))
        }
        guard let upgrader = context.upgrader else {
            return answer(OperationValue.failure("luagw.websocket.accept: not in an HTTP/1.1 request"), completion)
        }
        return answer(upgrader.acceptWebSocket(accept: accept, protocol: chosen, maxPayload: Int(maxPayload)), completion)
    }
}
