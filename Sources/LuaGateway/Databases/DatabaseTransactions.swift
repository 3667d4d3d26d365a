import NIOCore

/// The transactions a request has open (`db:transaction`), by the number its Lua side holds;
/// those still open when the request ends, however it ends, are rolled back.
final class DatabaseTransactions {
    private let eventLoop: EventLoop
    private var open: [Int: DatabaseTransaction] = [:]
    private var last = 0

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    func add(_ transaction: DatabaseTransaction) -> Int {
        last += 1
        open[last] = transaction
        return last
    }

    subscript(number: Int) -> DatabaseTransaction? { open[number] }

    func remove(_ number: Int) -> DatabaseTransaction? {
        open.removeValue(forKey: number)
    }

    /// The request ended: what it left open is rolled back (after a statement it still runs).
    func rollBackAll() {
        for transaction in open.values { _ = transaction.end(commit: false, on: eventLoop) }
        open.removeAll()
    }
}
