/// A worker's open WebSockets by handle, so that any coroutine of the worker (a light thread,
/// another request broadcasting) may use one; and the counts `/metrics` shows. A handle carries
/// the worker's index in its low byte: one from another worker (passed through `luagw.shared`)
/// names nothing here. Handles are never reused.
final class WebSocketTable {
    private let worker: Int
    private var serial = 0
    private var sessions: [Int: WebSocketSession] = [:]
    /// Messages received and sent since the worker started (text and binary).
    var messagesIn = 0
    var messagesOut = 0

    init(worker: Int = 0) {
        self.worker = worker
    }

    /// WebSockets open now.
    var count: Int { sessions.count }

    var all: Dictionary<Int, WebSocketSession>.Values { sessions.values }

    /// A new session made by `make` with a new handle, kept until it is removed.
    func open(_ make: (Int) -> WebSocketSession) -> WebSocketSession {
        serial += 1
        let session = make(serial << 8 | (worker & 0xFF))
        sessions[session.handle] = session
        return session
    }

    func session(_ handle: Int) -> WebSocketSession? {
        sessions[handle]
    }

    func remove(_ handle: Int) {
        sessions[handle] = nil
    }
}
