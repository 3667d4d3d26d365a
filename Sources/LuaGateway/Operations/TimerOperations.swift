internal import CLuaGatewayBridge

/// `luagw.timer.at` / `.every` (SPEC 7): registers timer `id` of the calling state with the
/// worker's timers; `true`, or `nil, err` past `--max-timers`.
enum TimerStart {
    static let number = Int(LUAGW_OPERATION_TIMER.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let id = call.numberArgument(0), let delay = call.numberArgument(1), let interval = call.numberArgument(2) else {
            return .failure(OperationError("luagw.timer: bad arguments"))
        }
        guard let timers = context.timers else {
            completion(OperationValue.failure("timers are not available under luagw cgi"))
            return .success(FinishedOperation.shared)
        }
        if timers.add(state: call.state, id: Int(id), delay: delay, interval: interval > 0 ? interval : nil) {
            completion([.boolean(true)])
        } else {
            let why = timers.isShuttingDown ? "process exiting" : "too many pending timers"
            completion(OperationValue.failure(why))
        }
        return .success(FinishedOperation.shared)
    }
}

/// A timer handle's `cancel()`: `true`.
enum TimerCancel {
    static let number = Int(LUAGW_OPERATION_TIMER_CANCEL.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        if let id = call.numberArgument(0) { context.timers?.cancel(state: call.state, id: Int(id)) }
        completion([.boolean(true)])
        return .success(FinishedOperation.shared)
    }
}
