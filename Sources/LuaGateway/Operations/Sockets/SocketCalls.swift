internal import CLuaGatewayBridge
import NIOCore

/// `sock:send(data)` (SPEC 7): resumed with the bytes sent once the kernel took them all (a
/// slow peer holds the request, not memory), or `nil, err`; a failed or timed-out send closes
/// the connection, as OpenResty's does.
final class SocketSend: Operation {
    static let number = Int(LUAGW_OPERATION_SEND.rawValue)

    private var timeout: Scheduled<Void>?
    private var done = false

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let (handle, connection) = context.connection(call), !connection.isClosed else {
            return answer(SocketFailure.closed.results, completion)
        }
        guard let bytes = call.bytesArgument(1), let seconds = call.numberArgument(2), let channel = connection.channel else {
            return .failure(OperationError("send: bad arguments"))
        }
        let send = SocketSend()
        let count = bytes.readableBytes
        channel.writeAndFlush(bytes).whenComplete { result in
            guard !send.done else { return }
            send.done = true
            send.timeout?.cancel()
            switch result {
            case .success:
                completion([.integer(count)])
            case .failure:
                context.close(handle, connection)
                completion(SocketFailure.closed.results)
            }
        }
        // Most sends are taken by the kernel at once, completed above: only one that waits
        // for a slow peer needs a timer.
        if !send.done {
            send.timeout = context.eventLoop.scheduleTask(in: .seconds(from: seconds)) {
                guard !send.done else { return }
                send.done = true
                context.close(handle, connection)
                completion(SocketFailure.timeout.results)
            }
        }
        return .success(send)
    }

    func cancel() {
        done = true
        timeout?.cancel()
    }
}

/// `sock:receive(...)`'s one primitive (SPEC 7; the patterns are luagw.socket.lua's): resumed
/// with what arrived, any amount, or `nil, err` (`closed` once the peer closed and all was
/// taken; `timeout`, which leaves the connection open).
final class SocketReceive: Operation {
    static let number = Int(LUAGW_OPERATION_RECEIVE.rawValue)

    private weak var connection: OutboundConnection?

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let (_, connection) = context.connection(call) else { return answer(SocketFailure.closed.results, completion) }
        guard let seconds = call.numberArgument(1) else { return .failure(OperationError("receive: bad arguments")) }
        let receive = SocketReceive()
        receive.connection = connection
        connection.read(timeout: .seconds(from: seconds)) { result in
            switch result {
            case .success(let bytes): completion([.bytes(bytes)])
            case .failure(let failure): completion(failure.results)
            }
        }
        return .success(receive)
    }

    func cancel() {
        connection?.cancelRead()
    }
}

/// `sock:setkeepalive([idle_ms [, pool_size]])` (SPEC 7): the connection goes back to its
/// pool (`1`), or is closed when it is not reusable (`nil, err`).
enum SocketKeepAlive {
    static let number = Int(LUAGW_OPERATION_KEEPALIVE.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let (handle, connection) = context.connection(call) else { return answer(SocketFailure.closed.results, completion) }
        guard let key = call.stringArgument(1), let idle = call.numberArgument(2), let size = call.numberArgument(3) else {
            return .failure(OperationError("setkeepalive: bad arguments"))
        }
        context.sockets.remove(handle)
        if connection.isClosed { return answer(SocketFailure.closed.results, completion) }
        if connection.hasUnreadBytes {
            connection.close()
            return answer(SocketFailure.other("unread data in buffer").results, completion)
        }
        context.sockets.keepAlive(connection, key: key, idle: .seconds(from: idle), size: Int(size))
        return answer([.integer(1)], completion)
    }
}

/// `sock:close()` (SPEC 7): `1`, or `nil, "closed"` when it was closed already.
enum SocketClose {
    static let number = Int(LUAGW_OPERATION_CLOSE.rawValue)

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let (handle, connection) = context.connection(call) else { return answer(SocketFailure.closed.results, completion) }
        context.close(handle, connection)
        return answer([.integer(1)], completion)
    }
}

/// Completes an operation at once.
func answer(_ results: [OperationValue], _ completion: Operations.Completion) -> Result<Operation, OperationError> {
    completion(results)
    return .success(FinishedOperation.shared)
}

extension OperationContext {
    /// The connection whose handle is the call's first argument, if the current request holds it.
    func connection(_ call: ApplicationCall) -> (Int, OutboundConnection)? {
        guard let number = call.numberArgument(0) else { return nil }
        let handle = Int(number)
        guard let connection = sockets.connection(handle, owner: owner) else { return nil }
        return (handle, connection)
    }

    /// Closes a connection the current request holds.
    func close(_ handle: Int, _ connection: OutboundConnection) {
        sockets.remove(handle)
        connection.close()
    }
}
