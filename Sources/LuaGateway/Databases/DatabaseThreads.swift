import NIOPosix

/// The threads databases run on, beside the event loops (SPEC 13): a query never runs on a
/// loop. Started by the first database used; a server without one never starts them.
enum DatabaseThreads {
    /// Threads at most: SQLite connections of every database share them.
    static let count = 4

    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: count)
        pool.start()
        return pool
    }()
}
