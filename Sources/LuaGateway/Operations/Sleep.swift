internal import CLuaGatewayBridge
import NIOCore

/// `luagw.sleep(seconds)` (SPEC 7): a callback on the request's event loop resumes it. The
/// sleep is its own callback handler (NIO's `scheduleCallback`: no promise and no closure made
/// per sleep, as `scheduleTask` makes).
final class Sleep: Operation, NIOScheduledCallbackHandler {
    static let number = Int(LUAGW_OPERATION_SLEEP.rawValue)

    private var completion: Operations.Completion?
    private var callback: NIOScheduledCallback?

    private init(completion: @escaping Operations.Completion) {
        self.completion = completion
    }

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let seconds = call.numberArgument(0) else { return .failure(OperationError("luagw.sleep: no duration")) }
        let sleep = Sleep(completion: completion)
        let delay = max(TimeAmount.oneLoopTurn, .seconds(from: seconds))  // sleep(0) lets the loop turn once
        do {
            sleep.callback = try context.eventLoop.assumeIsolated().scheduleCallback(in: delay, handler: sleep)
        } catch {
            return .failure(OperationError("luagw.sleep: the event loop is shutting down"))
        }
        return .success(sleep)
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        callback = nil
        let done = completion
        completion = nil
        done?([])
    }

    func cancel() {
        completion = nil
        callback?.cancel()
        callback = nil
    }
}
