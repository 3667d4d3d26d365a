import Logging
import NIOCore

/// What an operation may use besides its arguments: the request's event loop, the loop's
/// outbound sockets, the request's light threads, and a way to release what it holds when
/// the request ends (OpenResty's cleanup handlers). One per runner, reset for each request.
final class OperationContext {
    let eventLoop: EventLoop
    let sockets: SocketTable
    /// The worker's timers; nil under `luagw cgi`, which ends with its request.
    let timers: TimerTable?
    let logger: Logger
    /// The worker's WebSockets (SPEC 12): any coroutine of the worker may use one by its handle.
    let webSockets: WebSocketTable
    /// The connection of the request, which `luagw.websocket.accept` switches to frames; nil for
    /// a light thread, a timer, an HTTP/2 stream and `luagw cgi`. Set by the connection for each
    /// request and let go when it ends: held only while the runner holds the connection anyway
    /// (a weak reference would give the connection a side table, and every retain of it the slow path).
    var upgrader: WebSocketUpgrading?
    /// The connection (or HTTP/2 stream) of the request, which luagw.ngx's `ngx.exit(444)` closes;
    /// nil for a light thread, a timer and `luagw cgi`. Held as `upgrader` is, for the same reason.
    var connection: ConnectionAborting?
    /// The light threads of the running request (SPEC 7's `luagw.thread`), made at its first spawn.
    private var lightThreads: LightThreads?
    /// Which request of the runner runs now: a socket belongs to the request that opened it.
    private(set) var request = 0
    private var cleanups: [() -> Void] = []

    init(eventLoop: EventLoop, sockets: SocketTable, timers: TimerTable? = nil, logger: Logger = Logger(label: "luagw"),
         webSockets: WebSocketTable = WebSocketTable()) {
        self.eventLoop = eventLoop
        self.sockets = sockets
        self.timers = timers
        self.logger = logger
        self.webSockets = webSockets
    }

    /// The child processes of the running request (os.execute, io.popen), made at its first.
    private var childProcesses: ChildProcesses?

    /// The running request's light threads; killed when it ends.
    var threads: LightThreads {
        perRequest(\.lightThreads, make: { LightThreads(context: self) }, end: { $0.killAll() })
    }

    /// The database transactions of the running request (SPEC 13), made at its first.
    private var databaseTransactions: DatabaseTransactions?

    /// The running request's open transactions; rolled back when it ends.
    var transactions: DatabaseTransactions {
        perRequest(\.databaseTransactions, make: { DatabaseTransactions(eventLoop: eventLoop) }, end: { $0.rollBackAll() })
    }

    /// The running request's child processes; those still running are killed when it ends.
    var children: ChildProcesses {
        perRequest(\.childProcesses, make: ChildProcesses.init, end: { $0.killAll() })
    }

    /// What `slot` holds for the running request: made at first use, ended (`end`) and
    /// forgotten when the request ends.
    private func perRequest<T>(_ slot: ReferenceWritableKeyPath<OperationContext, T?>, make: () -> T,
                               end: @escaping (T) -> Void) -> T {
        if let held = self[keyPath: slot] { return held }
        let made = make()
        self[keyPath: slot] = made
        onRequestEnd { [unowned self] in
            self[keyPath: slot] = nil
            end(made)
        }
        return made
    }

    /// Runs `cleanup` when the current request ends, whatever way it ends.
    func onRequestEnd(_ cleanup: @escaping () -> Void) {
        cleanups.append(cleanup)
    }

    /// The request that runs now, as the socket table knows it.
    var owner: SocketTable.Owner { SocketTable.Owner(context: ObjectIdentifier(self), request: request) }

    func requestBegins() {
        request &+= 1
    }

    func requestEnded() {
        upgrader = nil
        connection = nil
        guard !cleanups.isEmpty else { return }
        let due = cleanups
        cleanups.removeAll()
        for cleanup in due { cleanup() }
    }
}
