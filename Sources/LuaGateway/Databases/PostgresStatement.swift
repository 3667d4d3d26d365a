import NIOCore
import PostgresNIO

/// Runs one statement of database.lua's on a PostgreSQL connection (the extended protocol, its
/// parameters bound): the encoded answer or the failure's message, and the command's tag
/// (`BEGIN`, `INSERT` ..., empty after a failure) for the pool to see what state it leaves.
enum PostgresStatement {
    static func run(_ statement: DatabaseStatement, on connection: PostgresConnection,
                    server: PostgresServer) -> EventLoopFuture<(answer: DatabaseAnswer, command: String)> {
        let bindings: PostgresBindings
        do {
            bindings = try PostgresParameters.bindings(statement.parameters)
        } catch {
            return connection.eventLoop.makeSucceededFuture((.failure(error.message), ""))
        }
        let query = PostgresQuery(unsafeSQL: String(buffer: statement.sql), binds: bindings)
        return connection.query(query, logger: PostgresPool.logger).map { result in
            (.answer(PostgresAnswers.encode(result, exec: statement.exec)), result.metadata.command)
        }.recover { error in
            (.failure(PostgresFailure.message(error, server: server)), "")
        }
    }
}
