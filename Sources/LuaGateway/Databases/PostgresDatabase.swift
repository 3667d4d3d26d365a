import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// A PostgreSQL server, user and database (`luagw.postgres.connect`, SPEC 13), shared by every
/// state: a pool of connections per worker (`PostgresPool`, made at its first statement), so a
/// statement runs on a connection of the event loop that asked.
final class PostgresDatabase: Database {
    private let server: PostgresServer
    private let tls: TLSClientContexts
    /// By event loop; each pool holds its loop, so no other loop can take its identifier.
    private let pools = NIOLockedValueBox<[ObjectIdentifier: PostgresPool]>([:])

    init(server: PostgresServer, tls: TLSClientContexts) {
        self.server = server
        self.tls = tls
    }

    func pool(_ eventLoop: EventLoop) -> PostgresPool {
        pools.withLockedValue { pools in
            if let pool = pools[ObjectIdentifier(eventLoop)] { return pool }
            let pool = PostgresPool(eventLoop: eventLoop, server: server, tls: tls)
            pools[ObjectIdentifier(eventLoop)] = pool
            return pool
        }
    }

    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer> {
        run(statement, on: eventLoop, cancellation: DatabaseCancellation())
    }

    /// A statement whose request ends while it waits for a connection is not sent; one that
    /// runs then is stopped by closing its connection (the session notices within a second,
    /// `client_connection_check_interval`, and ends the statement), which the pool then drops.
    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop,
             cancellation: DatabaseCancellation) -> EventLoopFuture<DatabaseAnswer> {
        let (pool, server) = (self.pool(eventLoop), self.server)
        return pool.borrow().flatMap { connection in
            guard cancellation.starting(interrupt: { let _: EventLoopFuture<Void> = connection.close() }) else {
                pool.giveBack(connection, clean: true)
                return eventLoop.makeSucceededFuture(.failure("the request has ended"))
            }
            return PostgresStatement.run(statement, on: connection, server: server).map { answer, command in
                cancellation.finished()
                // A BEGIN outside db:transaction would leave the connection in a transaction.
                pool.giveBack(connection, clean: command != "BEGIN" && command != "START TRANSACTION")
                return answer
            }
        }.recover { .failure(PostgresFailure.message($0, server: server)) }
    }

    func begin(on eventLoop: EventLoop) -> EventLoopFuture<Result<DatabaseTransaction, DatabaseFailure>> {
        let (pool, server) = (self.pool(eventLoop), self.server)
        return pool.borrow().flatMap { connection in
            PostgresStatement.run(DatabaseStatement.command("BEGIN"), on: connection, server: server).map { answer, _ in
                if case .failure(let message) = answer {
                    pool.giveBack(connection, clean: false)
                    return .failure(DatabaseFailure(message))
                }
                return .success(PostgresTransaction(connection: connection, pool: pool, server: server))
            }
        }.recover { .failure(DatabaseFailure(PostgresFailure.message($0, server: server))) }
    }
}
