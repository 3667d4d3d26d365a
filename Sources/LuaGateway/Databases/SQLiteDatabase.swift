import NIOCore

/// A SQLite file (`luagw.sqlite.open`, SPEC 13), shared by every worker: reads run on up to
/// three reader connections at once (WAL: they never wait for the writer), statements that
/// write and transactions on the one writer connection, one after another, so that no thread
/// waits on SQLite's lock (another process may still hold it: the busy timeout covers that).
final class SQLiteDatabase: Database {
    private let readers: SQLiteLane
    /// nil for a database opened read-only.
    private let writer: SQLiteLane?

    static let readerLimit = DatabaseThreads.count - 1

    init(path: String, readonly: Bool, busyTimeout: Double) {
        let open: @Sendable () throws(DatabaseFailure) -> SQLiteConnection = {
            try SQLiteConnection(path: path, readonly: readonly, busyTimeout: busyTimeout)
        }
        readers = SQLiteLane(limit: Self.readerLimit, open: open)
        writer = readonly ? nil : SQLiteLane(limit: 1, open: open)
    }

    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer> {
        run(statement, on: eventLoop, cancellation: DatabaseCancellation())
    }

    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop,
             cancellation: DatabaseCancellation) -> EventLoopFuture<DatabaseAnswer> {
        let promise = eventLoop.makePromise(of: DatabaseAnswer.self)
        let writer = self.writer
        readers.borrow { [readers] borrowed in
            let answer = Self.run(statement, on: borrowed, readsOnly: writer != nil, cancellation: cancellation)
            if case .success(let connection) = borrowed { readers.giveBack(connection) }
            guard case .needsWriter = answer, let writer else { return promise.succeed(Self.answer(answer)) }
            writer.borrow { borrowed in
                let answer = Self.run(statement, on: borrowed, readsOnly: false, cancellation: cancellation)
                if case .success(let connection) = borrowed { writer.giveBack(connection) }
                promise.succeed(Self.answer(answer))
            }
        }
        return promise.futureResult
    }

    /// Runs `statement` on the connection lent (on a database thread), unless its request ended.
    private static func run(_ statement: DatabaseStatement, on borrowed: Result<SQLiteConnection, DatabaseFailure>,
                            readsOnly: Bool, cancellation: DatabaseCancellation) -> SQLiteConnection.Answer {
        switch borrowed {
        case .failure(let failure):
            return .failure(failure.message)
        case .success(let connection):
            guard cancellation.starting(interrupt: { connection.interrupt() }) else { return .failure("cancelled") }
            defer { cancellation.finished() }
            return connection.run(statement, readsOnly: readsOnly)
        }
    }

    func begin(on eventLoop: EventLoop) -> EventLoopFuture<Result<DatabaseTransaction, DatabaseFailure>> {
        let promise = eventLoop.makePromise(of: Result<DatabaseTransaction, DatabaseFailure>.self)
        guard let writer else {
            promise.succeed(.failure(DatabaseFailure("a transaction on a read-only database")))
            return promise.futureResult
        }
        writer.borrow { borrowed in
            switch borrowed {
            case .failure(let failure):
                promise.succeed(.failure(failure))
            case .success(let connection):
                // IMMEDIATE: the write lock now, so that a read then a write cannot meet another process's writer.
                if let message = connection.run("BEGIN IMMEDIATE") {
                    writer.giveBack(connection)
                    promise.succeed(.failure(DatabaseFailure(message)))
                } else {
                    promise.succeed(.success(SQLiteTransaction(connection: connection, lane: writer)))
                }
            }
        }
        return promise.futureResult
    }

    static func answer(_ answer: SQLiteConnection.Answer) -> DatabaseAnswer {
        switch answer {
        case .answer(let bytes): .answer(bytes)
        case .failure(let message): .failure(message)
        case .needsWriter: .failure("luagw: a write on a reader's connection")
        }
    }
}
