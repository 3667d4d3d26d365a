internal import CLuaGatewayBridge
import NIOCore

/// `db:query`, `db:exec` (SPEC 13): a statement runs off the loop while the request waits;
/// resumed with the encoded answer, or `nil, err` with the database's message.
final class DatabaseQuery: Operation {
    static let number = Int(LUAGW_OPERATION_DB_QUERY.rawValue)
    /// Stops the statement when the request ends first (not started, or interrupted).
    private let cancellation = DatabaseCancellation()

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let sql = call.bytesArgument(3), let parameters = call.bytesArgument(4), let exec = call.numberArgument(5),
              let number = call.numberArgument(6) else {
            return .failure(OperationError("luagw: bad arguments to a database query"))
        }
        let statement = DatabaseStatement(sql: sql, parameters: parameters, exec: exec != 0)
        let query = DatabaseQuery()
        let answer: EventLoopFuture<DatabaseAnswer>
        if number != 0 {
            guard let transaction = context.transactions[Int(number)] else {
                completion(OperationValue.failure("the transaction has ended"))
                return .success(FinishedOperation.shared)
            }
            answer = transaction.run(statement, on: context.eventLoop)
        } else {
            switch database(call, context) {
            case .failure(let failure):
                completion(OperationValue.failure(failure.message))
                return .success(FinishedOperation.shared)
            case .success(let database):
                answer = database.run(statement, on: context.eventLoop, cancellation: query.cancellation)
            }
        }
        answer.whenSuccess { answer in
            guard !query.cancellation.isCancelled else { return }
            completion(answer.results)
        }
        return .success(query)
    }

    /// The database the first three arguments name (kind, target, options).
    static func database(_ call: ApplicationCall, _ context: OperationContext) -> Result<Database, DatabaseFailure> {
        guard let kind = call.stringArgument(0), let target = call.stringArgument(1), let options = call.stringArgument(2) else {
            return .failure(DatabaseFailure("luagw: bad arguments to a database call"))
        }
        return Databases.named(kind: kind, target: target, options: options, tls: context.sockets.tls)
    }

    func cancel() {
        cancellation.cancel()  // its connection goes back once the statement has stopped
    }
}

/// `db:transaction`'s start: a connection of its own, BEGIN run on it; resumed with the
/// transaction's number for the request's later statements.
final class DatabaseBegin: Operation {
    static let number = Int(LUAGW_OPERATION_DB_BEGIN.rawValue)
    private var cancelled = false

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        switch DatabaseQuery.database(call, context) {
        case .failure(let failure):
            completion(OperationValue.failure(failure.message))
            return .success(FinishedOperation.shared)
        case .success(let database):
            let begin = DatabaseBegin()
            let transactions = context.transactions
            database.begin(on: context.eventLoop).whenSuccess { began in
                switch began {
                case .failure(let failure):
                    if !begin.cancelled { completion(OperationValue.failure(failure.message)) }
                case .success(let transaction):
                    // A request that ended while it waited for the writer gives it back at once.
                    guard !begin.cancelled else { return _ = transaction.end(commit: false, on: context.eventLoop) }
                    completion([.integer(transactions.add(transaction))])
                }
            }
            return .success(begin)
        }
    }

    func cancel() {
        cancelled = true
    }
}

/// `db:transaction`'s end: COMMIT or ROLLBACK, the connection given back; `true` or `nil, err`.
final class DatabaseEnd: Operation {
    static let number = Int(LUAGW_OPERATION_DB_END.rawValue)
    private var cancelled = false

    static func start(call: ApplicationCall, context: OperationContext,
                      completion: @escaping Operations.Completion) -> Result<Operation, OperationError> {
        guard let number = call.numberArgument(0), let commit = call.numberArgument(1) else {
            return .failure(OperationError("luagw: bad arguments to a transaction's end"))
        }
        guard let transaction = context.transactions.remove(Int(number)) else {
            completion(OperationValue.failure("the transaction has ended"))
            return .success(FinishedOperation.shared)
        }
        let end = DatabaseEnd()
        transaction.end(commit: commit != 0, on: context.eventLoop).whenSuccess { answer in
            guard !end.cancelled else { return }
            if case .failure(let message) = answer { return completion(OperationValue.failure(message)) }
            completion([.boolean(true)])
        }
        return .success(end)
    }

    func cancel() {
        cancelled = true  // the commit or rollback runs to its end
    }
}
