internal import CLuaGatewayBridge
import NIOCore

/// `luagw.sleep(seconds)` (SPEC 7): a task on the request's event loop resumes it.
final class Sleep: Operation {
    static let number = Int(LUAGW_OPERATION_SLEEP.rawValue)

    private var task: Scheduled<Void>?

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let seconds = call.numberArgument(0) else { return .failure(OperationError("luagw.sleep: no duration")) }
        let sleep = Sleep()
        let delay = max(TimeAmount.oneLoopTurn, .seconds(from: seconds))  // sleep(0) lets the loop turn once
        sleep.task = context.eventLoop.scheduleTask(in: delay) { completion([]) }
        return .success(sleep)
    }

    func cancel() {
        task?.cancel()
        task = nil
    }
}
