import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// One worker's connections to one PostgreSQL server (SPEC 13's pool per worker): at most
/// `server.pool` of them, made on the worker's event loop (their answers come back there, no
/// thread hop), lent to one statement or transaction at a time; a borrower finds an idle one,
/// opens a new one below the limit, or waits in turn. Touched only on its event loop.
final class PostgresPool: @unchecked Sendable {
    let eventLoop: EventLoop
    private let server: PostgresServer
    private let tls: TLSClientContexts
    private var idle: [PostgresConnection] = []
    /// Connections open, lent or being opened.
    private var open = 0
    private var waiting = CircularBuffer<EventLoopPromise<PostgresConnection>>()
    private var made = 0

    /// postgres-nio's own log lines are not wanted: failures reach the application as `nil, err`.
    static let logger = Logger(label: "luagw.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    init(eventLoop: EventLoop, server: PostgresServer, tls: TLSClientContexts) {
        self.eventLoop = eventLoop
        self.server = server
        self.tls = tls
    }

    /// Counts for the tests: connections open (lent, idle or opening), idle, and borrowers waiting.
    var sizes: (open: Int, idle: Int, waiting: Int) { (open, idle.count, waiting.count) }

    /// A connection of this pool's own, lent until `giveBack`; fails when a new one cannot be opened.
    func borrow() -> EventLoopFuture<PostgresConnection> {
        eventLoop.assertInEventLoop()
        while let connection = idle.popLast() {
            if !connection.isClosed { return eventLoop.makeSucceededFuture(connection) }
            open -= 1  // closed while idle: the server restarted, or ended it
        }
        if open < server.pool { return connect() }
        let promise = eventLoop.makePromise(of: PostgresConnection.self)
        waiting.append(promise)
        return promise.futureResult
    }

    /// Takes back a lent connection: kept when `clean` (no transaction left open) and still
    /// open, otherwise closed and its place given to a borrower waiting.
    func giveBack(_ connection: PostgresConnection, clean: Bool) {
        eventLoop.assertInEventLoop()
        guard clean, !connection.isClosed else {
            open -= 1
            let _: EventLoopFuture<Void> = connection.close()
            return serveWaiting()
        }
        if let waiter = waiting.popFirst() { return waiter.succeed(connection) }
        idle.append(connection)
    }

    private func serveWaiting() {
        guard open < server.pool, let waiter = waiting.popFirst() else { return }
        connect().cascade(to: waiter)
    }

    private func connect() -> EventLoopFuture<PostgresConnection> {
        open += 1
        made += 1
        let (eventLoop, server, id) = (self.eventLoop, self.server, made)
        let context: EventLoopFuture<NIOSSLContext?> = server.verification.map {
            tls.context($0, on: eventLoop).map { Optional($0) }
        } ?? eventLoop.makeSucceededFuture(nil)
        let connection = context.flatMap { context in
            PostgresConnection.connect(on: eventLoop, configuration: server.configuration(tls: context), id: id,
                                       logger: Self.logger)
        }
        connection.whenFailure { _ in
            self.open -= 1
            self.serveWaiting()
        }
        return connection
    }
}
