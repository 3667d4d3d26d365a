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
        let promise = eventLoop.makePromise(of: DatabaseAnswer.self)
        let writer = self.writer
        readers.borrow { [readers] borrowed in
            guard case .success(let connection) = borrowed else { return promise.succeed(Self.failure(borrowed)) }
            let answer = connection.run(statement, readsOnly: writer != nil)
            readers.giveBack(connection)
            switch answer {
            case .answer(let bytes): promise.succeed(.answer(bytes))
            case .failure(let message): promise.succeed(.failure(message))
            case .needsWriter:
                writer?.borrow { borrowed in
                    guard case .success(let connection) = borrowed else { return promise.succeed(Self.failure(borrowed)) }
                    let answer = connection.run(statement, readsOnly: false)
                    writer?.giveBack(connection)
                    promise.succeed(Self.answer(answer))
                }
            }
        }
        return promise.futureResult
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

    private static func failure(_ borrowed: Result<SQLiteConnection, DatabaseFailure>) -> DatabaseAnswer {
        if case .failure(let failure) = borrowed { return .failure(failure.message) }
        return .failure("luagw: no connection")
    }
}
