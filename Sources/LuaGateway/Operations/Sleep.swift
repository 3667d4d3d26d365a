internal import CLuaGatewayBridge
import NIOCore

/// `luagw.sleep(seconds)` (SPEC 7): a task on the request's event loop resumes it.
final class Sleep: Operation {
    static let number = Int(LUAGW_OPERATION_SLEEP.rawValue)

    /// The shortest sleep: long enough that the loop polls its sockets first (NIO runs the
    /// tasks that are due before it looks at sockets again), so `sleep(0)` lets others in.
    static let shortest = TimeAmount.microseconds(50)

    private var task: Scheduled<Void>?

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let seconds = call.numberArgument(0) else { return .failure(OperationError("luagw.sleep: no duration")) }
        let sleep = Sleep()
        let delay = max(Self.shortest, .nanoseconds(Int64(min(seconds, 1e9) * 1e9)))
        sleep.task = context.eventLoop.scheduleTask(in: delay) { completion([]) }
        return .success(sleep)
    }

    func cancel() {
        task?.cancel()
        task = nil
    }
}
