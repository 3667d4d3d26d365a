import NIOCore

/// Something a request waits for without blocking its event loop (SPEC 7): a sleep
/// now; connects, reads and writes of sockets later. Each operation is started from a
/// `wait` step's arguments, completes at most once with the values the request resumes
/// with, and is cancelled when the request ends first (its timers stopped, its sockets
/// closed). The runner knows operations only through this.
protocol Operation: AnyObject {
    /// The request ended: stop, and never complete.
    func cancel()
}

/// Starts the operation a `wait` step names (`luagw_operation` of CLuaGatewayBridge.h).
enum Operations {
    /// Called once with the operation's results.
    typealias Completion = ([OperationValue]) -> Void

    /// Starts operation `number` with the arguments of `call`'s current step; the
    /// operation, or a message for the application when it cannot start. `completion` may
    /// be called before this returns (an operation with nothing to wait for).
    static func start(_ number: Int, call: ApplicationCall, context: OperationContext,
                      completion: @escaping Completion) -> Result<Operation, OperationError> {
        guard let start = starters[number] else { return .failure(OperationError("luagw: no operation \(number)")) }
        return start(call, context, completion)
    }

    private typealias Starter = (ApplicationCall, OperationContext, @escaping Completion) -> Result<Operation, OperationError>

    private static let starters: [Int: Starter] = [
        Sleep.number: Sleep.start,
        SocketConnect.number: SocketConnect.start,
        SocketSend.number: SocketSend.start,
        SocketReceive.number: SocketReceive.start,
        SocketKeepAlive.number: SocketKeepAlive.start,
        SocketClose.number: SocketClose.start,
        SocketHandshake.number: SocketHandshake.start,
        UDPSetPeerName.number: UDPSetPeerName.start,
        DatabaseQuery.number: DatabaseQuery.start,
        DatabaseBegin.number: DatabaseBegin.start,
        DatabaseEnd.number: DatabaseEnd.start,
        TimerStart.number: TimerStart.start,
        TimerCancel.number: TimerCancel.start,
        ThreadSpawn.number: ThreadSpawn.start,
        ThreadWait.number: ThreadWait.start,
        ThreadKill.number: ThreadKill.start,
        ProcessSpawn.number: ProcessSpawn.start,
        ProcessRead.number: ProcessRead.start,
        ProcessWrite.number: ProcessWrite.start,
        ProcessWait.number: ProcessWait.start,
        WebSocketAccept.number: WebSocketAccept.start,
        WebSocketReceive.number: WebSocketReceive.start,
        WebSocketSend.number: WebSocketSend.start,
        ConnectionAbort.number: ConnectionAbort.start,
    ]
}

/// An operation that was over when it started (it completed at once): nothing to cancel.
final class FinishedOperation: Operation {
    static let shared = FinishedOperation()
    func cancel() {}
}

/// Why an operation did not start: the message the request fails with.
struct OperationError: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}
