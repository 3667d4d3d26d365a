import NIOCore
import PostgresNIO

/// A transaction pinned to one connection of a worker's pool, from BEGIN to its COMMIT or
/// ROLLBACK (postgres-nio runs a connection's statements in the order they were sent, so an
/// end after a statement still running waits for it); the connection goes back after, and only
/// when that end succeeded, otherwise it is closed. Used on its pool's event loop.
final class PostgresTransaction: DatabaseTransaction, @unchecked Sendable {
    private let connection: PostgresConnection
    private let pool: PostgresPool
    private let server: PostgresServer
    private var ended = false

    init(connection: PostgresConnection, pool: PostgresPool, server: PostgresServer) {
        self.connection = connection
        self.pool = pool
        self.server = server
    }

    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer> {
        guard !ended else { return eventLoop.makeSucceededFuture(.failure("the transaction has ended")) }
        return PostgresStatement.run(statement, on: connection, server: server).map(\.answer)
    }

    func end(commit: Bool, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer> {
        guard !ended else { return eventLoop.makeSucceededFuture(.failure("the transaction has ended")) }
        ended = true
        let (connection, pool) = (self.connection, self.pool)
        return PostgresStatement.run(DatabaseStatement.command(commit ? "COMMIT" : "ROLLBACK"), on: connection,
                                     server: server).map { answer, command in
            guard case .answer = answer else {
                pool.giveBack(connection, clean: false)
                return answer
            }
            pool.giveBack(connection, clean: true)
            // COMMIT of a transaction a failed statement aborted answers ROLLBACK, not an error.
            if commit, command == "ROLLBACK" {
                return .failure("25P02: the transaction was rolled back (a statement in it failed)")
            }
            return answer
        }
    }
}
