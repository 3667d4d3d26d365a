import Logging
import NIOCore

/// A request's way to its application: refusal, request id, routing, a state from the
/// pool; then, as the runner's host, the body it reads and the response it sends; and
/// the end of the exchange.
extension HTTPConnectionHandler: StateWaiter {
    func begin(_ head: RequestHead, facts: RequestHeadFacts) {
        state.beginExchange()
        exchange.reset(head: head)
        if worker.timesRequests { exchange.startTime = .now() }
        if worker.isShuttingDown { exchange.keepAlive = false }
        // An HTTP/1 head without a body ends its body: the response written at once is followed by the
        // next request, not by a wait for the decoder's end (which comes after and finds nothing to do).
        // An HTTP/2 stream's body ends with its frames.
        if !facts.hasBody && !isStream { exchange.bodyEnded = true }
        if facts.webSocketUpgrade {
            // The decoder waits for the verdict: refused, the connection cannot go back to HTTP cheaply.
            // The head has no body, and the decoder sends no end for it (frames may follow at once).
            exchange.mayUpgrade = true
            exchange.keepAlive = false
            exchange.bodyEnded = true
        }
        clearDeadline()
        worker.requestIDs.write(given: facts.requestID, into: &exchange.requestID)
        if let refusal = worker.configuration.limits.refusal(of: head, facts: facts) {
            exchange.keepAlive = false
            return respondSimply(refusal.status, detail: refusal.detail)
        }
        exchange.expectsContinue = facts.expectsContinue
        exchange.declaredBodyLength = facts.contentLength
        let target = RequestTarget(head)
        percentDecode(target.path, into: &worker.path)
        guard let route = worker.pool.scripts.route(worker.path, isRead: exchange.isRead) else {
            return respondSimply("404 Not Found")
        }
        exchange.generation = worker.pool.scripts.generation
        exchange.mountIndex = route.index
        exchange.isRouted = true
        exchange.scriptNameLength = route.scriptNameLength
        switch worker.pool.borrow(orWait: self) {
        case .ready(let state):
            run(on: state, target: target)
        case .queued:
            exchange.waitsForState = true
        case .full:
            respondSimply("503 Service Unavailable")
        }
    }

    /// A state for the request that waited for one.
    func stateIsFree(_ luaState: LuaState) {
        guard exchange.waitsForState, !state.isClosed else { return worker.pool.giveBack(luaState) }
        exchange.waitsForState = false
        worker.metrics?.queueWaited(nanoseconds: (NIODeadline.now() - exchange.startTime).nanoseconds)
        let target = RequestTarget(exchange.head)
        percentDecode(target.path, into: &worker.path)
        run(on: luaState, target: target)
    }

    /// Runs the application on `luaState`; `worker.path` holds the decoded path of `target`.
    private func run(on luaState: LuaState, target: RequestTarget) {
        if luaState.scripts.generation != exchange.generation || luaState.isModule[exchange.mountIndex] {
            // A reload came between routing and this state, or the script routed to is a module
            // (not mounted): route on the state's scripts, passing over its modules.
            guard let route = luaState.scripts.route(worker.path, isRead: exchange.isRead, skipping: luaState.isModule) else {
                worker.pool.giveBack(luaState)
                return respondSimply("404 Not Found")
            }
            exchange.generation = luaState.scripts.generation
            exchange.mountIndex = route.index
            exchange.scriptNameLength = route.scriptNameLength
        }
        worker.environ.fill(exchange: exchange, target: target, decodedPath: worker.path, remote: remote, local: local,
                            trustsProxy: trustsProxy, isTLS: worker.servesTLS)
        if !isStream { runner.context.upgrader = self }
        runner.context.connection = self
        runner.start(on: luaState, index: exchange.mountIndex, environ: worker.environ,
                     requestID: exchange.requestID, runOnce: false)
    }

    // MARK: the request body

    func receiveBody(_ bytes: ByteBuffer) {
        if state.phase == .discardingBody { return discard(bytes) }
        guard state.phase == .serving, exchange.inputFailure == nil else { return }
        exchange.receivedBytes += bytes.readableBytes
        if exchange.receivedBytes > worker.configuration.limits.maxBodyBytes {
            return stopReceiving(because: .tooLarge)
        }
        exchange.body.append(bytes)
        exchange.bufferedBytes += bytes.readableBytes
        runner.inputArrived()
    }

    /// Drops body bytes of a request answered without reading them all, so that the next
    /// request can be read; past `maxDiscardedBytes` the connection closes instead (as Go's
    /// server does past 256 KiB, and nginx's lingering close after a short time).
    private func discard(_ bytes: ByteBuffer) {
        exchange.discardedBytes += bytes.readableBytes
        if exchange.discardedBytes > Self.maxDiscardedBytes { stopReceiving(because: .tooLarge) }
    }

    static let maxDiscardedBytes = 256 * 1024

    func receiveEnd() {
        guard state.isActive else { return }
        exchange.bodyEnded = true
        if state.phase == .discardingBody {
            endExchange(state.exchangeEnded())
        } else {
            runner.inputArrived()
        }
    }

    // MARK: the end of an exchange

    /// Answers without an application (400, 404, 503, ...), with `detail` after the reason in the body.
    func respondSimply(_ status: String, detail: String? = nil) {
        if let metrics = worker.metrics, let code = Int(status.prefix(3)) { metrics.refused(status: code) }
        let reason = status.dropFirst(4)
        writer.respond(status, body: detail.map { "\(reason): \($0)\n" } ?? reason + "\n")
        requestEnded()
    }

    /// Answers bytes that never made a request (400, 408, 503 at connect), then closes.
    func respondWithoutRequest(_ status: String, detail: String? = nil) {
        state.beginExchange()
        exchange.resetWithoutRequest()
        worker.requestIDs.write(given: nil, into: &exchange.requestID)
        respondSimply(status, detail: detail)
    }

    /// Logs the exchange, then closes the connection, discards the rest of the body, or
    /// goes on with the next request.
    private func endResponse() {
        let now = worker.timesRequests ? NIODeadline.now() : exchange.startTime  // one clock read for both
        if let metrics = worker.metrics, exchange.hasRequest {
            metrics.requestEnded(method: exchange.head.method, status: exchange.status,
                                 mount: exchange.isRouted ? exchange.mountIndex : -1, template: exchange.routeTemplate,
                                 route: { self.routeLabel }, started: exchange.startTime, now: now)
        }
        if let log = worker.accessLog {
            let seconds = exchange.hasRequest ? Double((now - exchange.startTime).nanoseconds) / 1e9 : 0
            log.record(remote: exchange.forwardedClient ?? remote.address, head: exchange.hasRequest ? exchange.head : nil,
                       status: exchange.status, bytes: exchange.bodyBytesSent, seconds: seconds, requestID: exchange.requestID)
        }
        let next = state.responseWritten(keepAlive: exchange.keepAlive && !worker.isShuttingDown,
                                         bodyEnded: exchange.bodyEnded,
                                         continueUnanswered: exchange.expectsContinue && !exchange.continueSent)
        if next == .discardBody {
            setDeadline(.body)
            exchange.body.removeAll()
            exchange.bufferedBytes = 0
            releaseReadIfPossible()
        }
        endExchange(next)
    }

    private func endExchange(_ next: ConnectionState.AfterResponse) {
        switch next {
        case .close:
            closeAfterWrites()
        case .discardBody:
            break
        case .nextRequest:
            // An idle connection keeps nothing of its last request: the head's bytes are a slice
            // of a read buffer, which they would keep alive (most of an idle connection's memory).
            exchange.head = .none
            exchangeEndedSinceRead = true
            setDeadline(.keepAlive)
            handleArrivals()
        }
    }
}

/// The connection as the host of its requests' runner.
extension HTTPConnectionHandler: RequestHost {
    var declaredBodyLength: Int? { exchange.declaredBodyLength }

    var runLabel: RunLabel { RunLabel(id: exchange.requestID, method: exchange.head.method, target: exchange.head.uri) }

    func nextInput() -> RequestInput? {
        if let bytes = exchange.body.popFirst() {
            exchange.bufferedBytes -= bytes.readableBytes
            releaseReadIfPossible()
            return .bytes(bytes)
        }
        if exchange.bodyEnded { return .end }
        if state.isClosed || state.inputClosed { return .failure(exchange.inputFailure ?? .closed) }
        writer.sendContinueIfExpected()
        setDeadline(.body)
        releaseReadIfPossible()
        return nil
    }

    func send(_ call: ApplicationCall, hasHead: Bool) -> ApplicationCall.Verdict? {
        let verdict = writer.sendChunk(of: call, hasHead: hasHead)
        if verdict == .goOn && writer.canWrite && !writer.isWritable { return nil }
        return writer.canWrite ? verdict : .clientGone
    }

    func sendFile(_ call: ApplicationCall, path: String, offset: Int64, size: Int64) -> ApplicationCall.Verdict? {
        sendsFile = true
        let waits = writer.sendFile(of: call, path: path, offset: offset, size: size) { [weak self] result in
            guard let self, self.sendsFile else { return }
            self.sendsFile = false
            if case .failure = result { self.exchange.keepAlive = false }
            self.runner.resume(self.writer.canWrite ? .goOn : .clientGone)  // perhaps before sendFile returned
        }
        if waits { return nil }
        sendsFile = false
        return writer.canWrite ? .goOn : .clientGone
    }

    func finish(_ call: ApplicationCall, hasHead: Bool, hasBody: Bool) {
        if exchange.isWebSocket { return }  // the frames were the response
        if worker.metrics != nil { exchange.routeTemplate = call.routeTemplate }
        writer.finish(call, hasHead: hasHead, hasBody: hasBody)
    }

    /// 500 (504 when stopped by the run-time limit) when the head is not out yet, else an
    /// abnormal end; logged with the request id either way.
    func fail(_ message: String, stopped: Bool) {
        if exchange.isWebSocket { return failWebSocket(message, stopped: stopped) }
        let id = exchange.requestIDString
        guard writer.canWrite else {
            worker.logger.debug("request ended by the client: \(message)", metadata: ["request_id": "\(id)"])
            return
        }
        if let failure = exchange.inputFailure, !stopped, message.contains(failure.description) {
            // The application did not catch its body read's error: the client caused it.
            worker.logger.info("request ended: \(message)", metadata: ["request_id": "\(id)"])
            if exchange.headersSent { exchange.keepAlive = false; return }
            let status = failure.status
            return writer.respond(status, body: "\(status.dropFirst(4)): \(failure)\n")
        }
        if !stopped, let reason = ClientBodyError.reason(in: message) {
            // luagw.web.request could not parse the body (a multipart without its boundary...): the client's doing.
            worker.logger.info("request ended: \(message)", metadata: ["request_id": "\(id)"])
            if exchange.headersSent { exchange.keepAlive = false; return }
            return writer.respond("400 Bad Request", body: "Bad Request: \(reason)\n")
        }
        worker.logger.error("request \(stopped ? "stopped" : "failed"): \(message)", metadata: ["request_id": "\(id)"])
        worker.metrics?.luaError(kind: Self.luaErrorKind(message, stopped: stopped))
        if exchange.headersSent {
            exchange.keepAlive = false  // no terminating chunk, or short of Content-Length: the client can tell
            return
        }
        let (status, short) = stopped ? ("504 Gateway Timeout", "Gateway Timeout")
                                      : ("500 Internal Server Error", "Internal Server Error")
        let body = worker.configuration.development ? message : short + " (request id \(id): the log says more)"
        writer.respond(status, body: body + "\n")
    }

    /// The kind of a Lua failure, for the metrics.
    static func luaErrorKind(_ message: String, stopped: Bool) -> String {
        stopped ? "run_time" : message.contains(LuaState.outOfMemoryMessage) ? "memory" : "error"
    }

    func flush() {
        writer.flushStreamed()
    }

    func requestEnded() {
        sendsFile = false
        if exchange.isWebSocket { return endWebSocket() }
        endResponse()
    }
}
