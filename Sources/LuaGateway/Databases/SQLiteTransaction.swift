import NIOConcurrencyHelpers
import NIOCore

/// A transaction on a SQLite database's writer connection, held from BEGIN to its end.
final class SQLiteTransaction: DatabaseTransaction, @unchecked Sendable {
    private let connection: SQLiteConnection
    private let lane: SQLiteLane
    private let ended = NIOLockedValueBox(false)

    init(connection: SQLiteConnection, lane: SQLiteLane) {
        self.connection = connection
        self.lane = lane
    }

    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer> {
        guard !ended.withLockedValue({ $0 }) else { return eventLoop.makeSucceededFuture(.failure("the transaction has ended")) }
        return DatabaseThreads.pool.runIfActive(eventLoop: eventLoop) { [connection] in
            SQLiteDatabase.answer(connection.run(statement, readsOnly: false))
        }.recover { .failure("\($0)") }
    }

    func end(commit: Bool, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer> {
        let first = ended.withLockedValue { ended in
            defer { ended = true }
            return !ended
        }
        guard first else { return eventLoop.makeSucceededFuture(.failure("the transaction has ended")) }
        return DatabaseThreads.pool.runIfActive(eventLoop: eventLoop) { [connection, lane] in
            var failure = connection.run(commit ? "COMMIT" : "ROLLBACK")
            if failure != nil, commit {
                _ = connection.run("ROLLBACK")
            } else if failure?.contains("no transaction is active") == true {
                failure = nil  // SQLite rolled back already (after some errors it does)
            }
            lane.giveBack(connection)
            return failure.map { .failure($0) } ?? .answer(ByteBuffer())
        }.recover { .failure("\($0)") }
    }
}
