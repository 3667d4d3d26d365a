internal import CLuaGatewayBridge
import NIOCore

/// `ws:recv()` (SPEC 12): the next message the WebSocket kept, at once, or the first to come
/// within the timeout (`nil, "timeout"`: the connection goes on); `nil, "closed"` or the protocol
/// error's reason once nothing more will come. Each wake-up (a message, the end or a timeout)
/// restarts the request's run-time budget: `--run-time` bounds the Lua time between two waits,
/// not a WebSocket's life (a connection that polls with a timeout runs for days).
final class WebSocketReceive: Operation {
    static let number = Int(LUAGW_OPERATION_WS_RECEIVE.rawValue)

    private weak var session: WebSocketSession?
    private var completion: Operations.Completion?
    private let call: ApplicationCall

    private init(session: WebSocketSession, call: ApplicationCall, completion: @escaping Operations.Completion) {
        self.session = session
        self.call = call
        self.completion = completion
    }

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let handle = call.numberArgument(0), let seconds = call.numberArgument(1) else {
            return .failure(OperationError("recv: bad arguments"))
        }
        guard let session = context.webSockets.session(Int(handle)) else {
            return answer(OperationValue.failure("closed"), completion)
        }
        let receive = WebSocketReceive(session: session, call: call, completion: completion)
        if let results = session.receive(receive, timeout: .seconds(from: seconds)) {
            call.restartRunTime()
            return answer(results, completion)
        }
        return .success(receive)
    }

    /// A message (or the end) came.
    func complete(_ results: [OperationValue]) {
        finish(results)
    }

    /// The session's timer found the deadline passed (it no longer counts this one as waiting).
    func timedOut() {
        finish(OperationValue.failure("timeout"))
    }

    private func finish(_ results: [OperationValue]) {
        guard let done = completion else { return }
        completion = nil
        call.restartRunTime()
        done(results)
    }

    func cancel() {
        completion = nil
        session?.receiverLeft(self)
    }
}
