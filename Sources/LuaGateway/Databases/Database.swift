import NIOCore

/// A database of SPEC 13 as the operations see it (`luagw.sqlite` now): statements run off
/// the event loops and their answers come back to the loop that asked, encoded for the
/// request's Lua side (database.lua decodes them). Shared by every worker.
protocol Database: AnyObject, Sendable {
    /// Runs one statement (or a script) on a connection of the database's choosing.
    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer>

    /// Starts a transaction on a connection of its own, held until it ends.
    func begin(on eventLoop: EventLoop) -> EventLoopFuture<Result<DatabaseTransaction, DatabaseFailure>>

    /// Runs one statement that `cancellation` may stop (its request ended): not started, or
    /// interrupted where the database can, its connection given back either way.
    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop,
             cancellation: DatabaseCancellation) -> EventLoopFuture<DatabaseAnswer>
}

extension Database {
    /// A database that cannot stop a statement lets it finish.
    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop,
             cancellation: DatabaseCancellation) -> EventLoopFuture<DatabaseAnswer> {
        run(statement, on: eventLoop)
    }
}

/// A transaction: its statements run on its connection, one at a time; it ends once.
protocol DatabaseTransaction: AnyObject, Sendable {
    func run(_ statement: DatabaseStatement, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer>

    /// Commits (or rolls back) and gives the connection back; a failed commit rolls back.
    func end(commit: Bool, on eventLoop: EventLoop) -> EventLoopFuture<DatabaseAnswer>
}

/// What `db:query` and `db:exec` send: the SQL, its parameters as database.lua encodes them,
/// and whether the answer is rows (`query`) or a count of changes (`exec`).
struct DatabaseStatement: Sendable {
    var sql: ByteBuffer
    var parameters: ByteBuffer
    var exec: Bool

    /// SQL of luagw's own (BEGIN, COMMIT, ROLLBACK), without parameters (an encoded count of 0).
    static func command(_ sql: String) -> DatabaseStatement {
        DatabaseStatement(sql: ByteBuffer(string: sql), parameters: ByteBuffer(bytes: [0, 0, 0, 0]), exec: true)
    }
}

/// A statement's answer, encoded (sqlite.c's header says how), or the database's message.
enum DatabaseAnswer: Sendable {
    case answer(ByteBuffer)
    case failure(String)

    /// The values the waiting request resumes with.
    var results: [OperationValue] {
        switch self {
        case .answer(let bytes): [.bytes(bytes)]
        case .failure(let message): OperationValue.failure(message)
        }
    }
}

/// Why a database could not be used: its message, as the application gets it.
struct DatabaseFailure: Error, Sendable {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}
