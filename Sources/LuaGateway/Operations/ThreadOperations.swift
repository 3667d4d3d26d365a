internal import CLuaGatewayBridge

/// `luagw.thread.spawn(fn, ...)`: starts the thread thread.lua registered under the id, runs it
/// until it waits or finishes, then resumes the request with `true`.
enum ThreadSpawn {
    static let number = Int(LUAGW_OPERATION_THREAD_SPAWN.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let id = call.numberArgument(0) else { return .failure(OperationError("luagw.thread.spawn: no id")) }
        context.threads.spawn(id: Int(id), on: call.state, requestID: call.stringArgument(1) ?? "-")
        completion([.boolean(true)])
        return .success(FinishedOperation.shared)
    }
}

/// `luagw.thread.wait(t1, ...)`: resumes the request with the id of the first of the threads to finish.
enum ThreadWait {
    static let number = Int(LUAGW_OPERATION_THREAD_WAIT.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        var ids = Set<Int>()
        let count = Int32(call.numberArgument(0) ?? 0)
        for n in stride(from: 1, through: count, by: 1) {
            if let id = call.numberArgument(n) { ids.insert(Int(id)) }
        }
        guard !ids.isEmpty else { return .failure(OperationError("luagw.thread.wait: no thread")) }
        return .success(context.threads.wait(for: ids, completion: completion))
    }
}

/// `luagw.thread.kill(t)`: `true`, or `nil, err` when the thread is not running.
enum ThreadKill {
    static let number = Int(LUAGW_OPERATION_THREAD_KILL.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let id = call.numberArgument(0) else { return .failure(OperationError("luagw.thread.kill: no id")) }
        completion(context.threads.kill(Int(id)) ? [.boolean(true)] : OperationValue.failure("already finished"))
        return .success(FinishedOperation.shared)
    }
}
