internal import CLuaGatewayBridge
import NIOCore

/// `os.execute(cmd)` and `io.popen(cmd, mode)` start a child (SPEC 5): resumed with its handle
/// once its pipe is set up, or `nil, err`.
enum ProcessSpawn {
    static let number = Int(LUAGW_OPERATION_PROCESS_SPAWN.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let command = call.stringArgument(0), let mode = call.numberArgument(1),
              let pipe = ChildProcess.Pipe(rawValue: Int32(mode)) else {
            return .failure(OperationError("process spawn: bad arguments"))
        }
        let operation = ProcessSpawn.Pending()
        let children = context.children
        ChildProcess.spawn(command, pipe: pipe, on: context.eventLoop) { result in
            switch result {
            case .success(let child) where operation.isCancelled:
                child.kill()
            case .success(let child):
                completion([.integer(children.add(child))])
            case .failure(let failure):
                if !operation.isCancelled { completion(failure.results) }
            }
        }
        return .success(operation)
    }

    /// A spawn whose pipe is being set up; a request that ends meanwhile kills the child.
    final class Pending: Operation {
        private(set) var isCancelled = false

        func cancel() {
            isCancelled = true
        }
    }
}

/// A popen'ed file's read (SPEC 5): resumed with `over` and what the child wrote (any amount),
/// or `over, nil` at the end of its output.
enum ProcessRead {
    static let number = Int(LUAGW_OPERATION_PROCESS_READ.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let child = context.child(call), let pipe = child.pipe else {
            completion([.boolean(false), .nil])
            return .success(FinishedOperation.shared)
        }
        let wait = ChildWait(call: call, child: child, completion: completion)
        wait.onCancel = { pipe.cancelRead() }
        pipe.read(timeout: wait.timeLeft) { result in
            switch result {
            case .success(let bytes): wait.finish([.bytes(bytes)])
            case .failure(.timeout): wait.overrun()
            case .failure: wait.finish([.nil])
            }
        }
        return .success(wait.arm())
    }
}

/// A popen'ed file's write (SPEC 5): resumed with `over, true` once the pipe took the bytes (a
/// child that does not read holds the request), or `over, nil, err`.
enum ProcessWrite {
    static let number = Int(LUAGW_OPERATION_PROCESS_WRITE.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let bytes = call.bytesArgument(1) else { return .failure(OperationError("process write: bad arguments")) }
        guard let child = context.child(call), let pipe = child.pipe, !pipe.isClosed, let channel = pipe.channel else {
            completion([.boolean(false)] + SocketFailure.closed.results)
            return .success(FinishedOperation.shared)
        }
        let wait = ChildWait(call: call, child: child, completion: completion)
        channel.writeAndFlush(bytes).whenComplete { result in
            switch result {
            case .success:
                wait.finish([.boolean(true)])
            case .failure:
                pipe.close()
                wait.finish(SocketFailure.closed.results)
            }
        }
        return .success(wait.arm())
    }
}

/// `os.execute`'s end and a popen'ed file's `close` (SPEC 5): the pipe is closed, then the
/// request is resumed with `over, exited, code` once the child has exited.
enum ProcessWait {
    static let number = Int(LUAGW_OPERATION_PROCESS_WAIT.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let handle = call.numberArgument(0).map({ Int($0) }), let child = context.children.child(handle) else {
            return .failure(OperationError("process wait: no such child"))
        }
        child.pipe?.close()
        let wait = ChildWait(call: call, child: child, completion: completion)
        wait.onCancel = { child.forgetWaiter() }
        child.whenExited { exit in
            if context.children.child(handle) === child { context.children.remove(handle) }
            wait.finish([.boolean(exit.exited), .integer(exit.code)])
        }
        return .success(wait.arm())
    }
}

extension OperationContext {
    /// The child whose handle is the call's first argument, if the current request holds it.
    func child(_ call: ApplicationCall) -> ChildProcess? {
        call.numberArgument(0).flatMap { children.child(Int($0)) }
    }
}
