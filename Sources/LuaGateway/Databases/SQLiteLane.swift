import NIOConcurrencyHelpers

/// Connections of one kind for one SQLite database (its readers, or its one writer): an idle
/// one is lent at once, a new one opened while fewer than `limit` exist, else the borrower
/// waits in turn (a queue, never a blocked thread). Granted work runs on a database thread.
final class SQLiteLane: @unchecked Sendable {
    /// Work granted a connection (or why none could be opened), on a database thread.
    typealias Borrower = @Sendable (Result<SQLiteConnection, DatabaseFailure>) -> Void

    private let limit: Int
    private let open: @Sendable () throws(DatabaseFailure) -> SQLiteConnection
    private let lock = NIOLock()
    private var idle: [SQLiteConnection] = []
    private var opened = 0
    private var waiting: [Borrower] = []
    private var waitingStart = 0

    init(limit: Int, open: @escaping @Sendable () throws(DatabaseFailure) -> SQLiteConnection) {
        self.limit = limit
        self.open = open
    }

    /// Lends a connection to `borrower`, which gives it back with `giveBack` when done.
    func borrow(_ borrower: @escaping Borrower) {
        enum Grant { case idle(SQLiteConnection), open, wait }
        let grant: Grant = lock.withLock {
            if let connection = idle.popLast() { return .idle(connection) }
            if opened < limit {
                opened += 1
                return .open
            }
            waiting.append(borrower)
            return .wait
        }
        switch grant {
        case .idle(let connection):
            DatabaseThreads.pool.submit { _ in borrower(.success(connection)) }
        case .open:
            DatabaseThreads.pool.submit { [self] _ in
                let made = Result { () throws(DatabaseFailure) in try open() }
                if case .failure = made { lock.withLock { opened -= 1 } }
                borrower(made)
            }
        case .wait:
            break
        }
    }

    /// Takes a connection back: the next borrower in line gets it, or it waits idle.
    func giveBack(_ connection: SQLiteConnection) {
        let next: Borrower? = lock.withLock {
            guard waitingStart < waiting.count else {
                idle.append(connection)
                return nil
            }
            let borrower = waiting[waitingStart]
            waitingStart += 1
            if waitingStart == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                waitingStart = 0
            }
            return borrower
        }
        if let next { DatabaseThreads.pool.submit { _ in next(.success(connection)) } }
    }
}
