import Logging
import NIOCore

/// A request's way through its application: routing, a state from the pool, the
/// coroutine's steps, and the end of the exchange.
extension HTTPConnectionHandler: StateWaiter {
    func begin(_ head: RequestHead, facts: RequestHeadFacts) {
        exchange.reset(head: head)
        if worker.accessLog != nil { exchange.startTime = .now() }
        if worker.isDraining { exchange.keepAlive = false }
        phase = .serving
        clearDeadline()
        if let id = facts.requestID, isValidRequestID(id) {
            exchange.requestID.writeString(id)
        } else {
            worker.writeRequestID(into: &exchange.requestID)
        }
        if let refusal = refusal(of: head, facts: facts) {
            exchange.keepAlive = false
            return respondSimply(refusal)
        }
        exchange.expectsContinue = facts.expectsContinue
        let target = RequestTarget(head.uri)
        percentDecode(target.path, into: &worker.path)
        guard let route = worker.pool.scripts.route(worker.path) else {
            return respondSimply("404 Not Found")
        }
        exchange.generation = worker.pool.scripts.generation
        exchange.mountIndex = route.index
        exchange.scriptNameLength = route.scriptNameLength
        switch worker.pool.borrow(orWait: self) {
        case .ready(let state):
            run(on: state, target: target)
        case .queued:
            exchange.waiting = .state
        case .full:
            respondSimply("503 Service Unavailable")
        }
    }

    /// Why a request is answered before any application sees it (SPEC 5), if it is.
    private func refusal(of head: RequestHead, facts: RequestHeadFacts) -> String? {
        let limits = worker.configuration.limits
        if head.uri.utf8.count > limits.maxTargetBytes { return "414 URI Too Long" }
        if head.fields.count > limits.maxHeaderCount || facts.headerBytes > limits.maxHeaderBytes {
            return "431 Request Header Fields Too Large"
        }
        if let length = facts.contentLength, length > limits.maxBodyBytes { return "413 Content Too Large" }
        return nil
    }

    /// A state for the request that waited for one.
    func stateIsFree(_ state: LuaState) {
        guard exchange.waiting == .state, !isClosed else { return worker.pool.giveBack(state) }
        let target = RequestTarget(exchange.head.uri)
        percentDecode(target.path, into: &worker.path)
        run(on: state, target: target)
    }

    /// Runs the application on `state`; `worker.path` holds the decoded path of `target`.
    private func run(on state: LuaState, target: RequestTarget) {
        if state.scripts.generation != exchange.generation {
            // A reload came between routing and this state: route on the state's scripts.
            guard let route = state.scripts.route(worker.path) else {
                worker.pool.giveBack(state)
                return respondSimply("404 Not Found")
            }
            exchange.generation = state.scripts.generation
            exchange.mountIndex = route.index
            exchange.scriptNameLength = route.scriptNameLength
        }
        worker.environ.fill(exchange: exchange, target: target, decodedPath: worker.path, remote: remote, local: local,
                            trustsProxy: trustsProxy)
        exchange.waiting = .nothing
        var call = ApplicationCall(state: state)
        let step = call.start(index: exchange.mountIndex, environ: worker.environ,
                              requestID: exchange.requestID, runOnce: false)
        exchange.call = call
        advance(step)
    }

    /// Carries the application forward until it waits for something or is done; what it
    /// streamed meanwhile goes out in one flush (chunks produced back to back share a
    /// system call; a chunk never waits behind a pause of the application).
    func advance(_ first: ApplicationCall.Step) {
        run(from: first)
        flushStreamed()
    }

    private func run(from first: ApplicationCall.Step) {
        var step = first
        while true {
            switch step {
            case .needInput:
                if let bytes = exchange.body.popFirst() {
                    exchange.bufferedBytes -= bytes.readableBytes
                    releaseReadIfPossible()
                    step = exchange.call!.resume(input: bytes)
                } else if exchange.bodyEnded {
                    step = exchange.call!.resumeAtEndOfInput()
                } else if isClosed || inputClosed {
                    step = exchange.call!.resume(inputFailure: exchange.inputFailure ?? .closed)
                } else {
                    sendContinueIfExpected()
                    exchange.waiting = .input
                    setDeadline(after: worker.configuration.limits.bodyTimeout)
                    releaseReadIfPossible()
                    return
                }
            case .send(let hasHead):
                let verdict = sendChunk(hasHead: hasHead)
                if verdict == .goOn && !isClosed && !context.channel.isWritable {
                    exchange.waiting = .writable
                    return
                }
                step = exchange.call!.resume(isClosed ? .clientGone : verdict)
            case .sendFile(let path, let size):
                if sendFile(path: path, size: size) { return }
                step = exchange.call!.resume(isClosed ? .clientGone : .goOn)
            case .finished(let hasHead, let hasBody):
                finishResponse(hasHead: hasHead, hasBody: hasBody)
                return complete()
            case .timeSliceOver:
                // Let the loop serve others, then go on (SPEC 5, fairness). Not `execute`: NIO
                // runs the tasks it is given until none is left before it looks at sockets
                // again; a task due a moment later lets the loop poll its sockets first.
                exchange.waiting = .timeSlice
                worker.pool.eventLoop.scheduleTask(in: .microseconds(50)) { self.timeSliceResumes() }
                return
            case .failed(let message):
                fail(message)
                return complete()
            }
        }
    }

    // MARK: events that resume the application

    func receiveBody(_ bytes: ByteBuffer) {
        guard exchange.isActive, !exchange.isDraining, exchange.inputFailure == nil else { return }
        exchange.receivedBytes += bytes.readableBytes
        if exchange.receivedBytes > worker.configuration.limits.maxBodyBytes {
            return stopReceiving(because: .tooLarge)
        }
        exchange.body.append(bytes)
        exchange.bufferedBytes += bytes.readableBytes
        if exchange.waiting == .input {
            exchange.waiting = .nothing
            advance(.needInput)
        }
    }

    func receiveEnd() {
        guard exchange.isActive else { return }
        exchange.bodyEnded = true
        if exchange.isDraining {
            endExchange()
        } else if exchange.waiting == .input {
            exchange.waiting = .nothing
            advance(.needInput)
        }
    }

    private func timeSliceResumes() {
        guard exchange.waiting == .timeSlice else { return }
        exchange.waiting = .nothing
        advance(exchange.call!.resumeAfterTimeSlice())
    }

    func writableAgain() {
        guard exchange.waiting == .writable else { return }
        exchange.waiting = .nothing
        advance(exchange.call!.resume(.goOn))
    }

    /// The client half-closed: an application waiting for body bytes that will not come fails its read.
    func clientStoppedSending() {
        if exchange.isActive, !exchange.bodyEnded, exchange.waiting == .input {
            exchange.waiting = .nothing
            advance(.needInput)
        }
    }

    /// The connection is gone: the application unwinds (its body's close runs) and its state goes back.
    func clientWentAway() {
        guard exchange.isActive else { return }
        switch exchange.waiting {
        case .input:
            exchange.waiting = .nothing
            advance(.needInput)
        case .writable, .fileWritten:
            exchange.waiting = .nothing
            advance(exchange.call!.resume(.clientGone))
        case .state, .nothing, .timeSlice:
            exchange.waiting = .nothing
            if exchange.call == nil { exchange.isActive = false }
        }
    }

    // MARK: the response

    private func sendContinueIfExpected() {
        // Never after the final head (RFC 9110 §15.2): the client then sends the body anyway.
        guard exchange.expectsContinue, !exchange.continueSent, !exchange.headersSent, exchange.bufferedBytes == 0 else { return }
        exchange.continueSent = true
        var buffer = allocator.buffer(capacity: 32)
        buffer.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
        write(buffer)
    }

    /// Writes a streamed chunk (with the head the first time); returns what the
    /// application is told next.
    private func sendChunk(hasHead: Bool) -> ApplicationCall.Verdict {
        let call = exchange.call!
        var buffer = allocator.buffer(capacity: call.chunkLength + (hasHead ? 512 : 16))
        if hasHead {
            startStream(call: call, into: &buffer)
        }
        let sent = ResponseEncoder.writeChunk(of: call, exchange: exchange, into: &buffer)
        exchange.bodyBytesSent += sent
        unflushedBytes += buffer.readableBytes
        write(buffer, flush: false)
        if unflushedBytes >= Self.flushThreshold { flushStreamed() }
        switch exchange.framing {
        case .none:
            return .stop
        case .length(let remaining):
            if sent < call.chunkLength { logCut() }
            return remaining == 0 ? .stop : .goOn
        case .chunked, .untilClose:
            return .goOn
        }
    }

    private func startStream(call: ApplicationCall, into buffer: inout ByteBuffer) {
        exchange.headWritten(status: call.statusCode)
        exchange.framing = BodyFraming.forStream(code: call.statusCode, declared: call.contentLength,
                                                 isHead: exchange.isHead, isHTTP11: exchange.isHTTP11)
        if exchange.framing == .untilClose { exchange.keepAlive = false }
        ResponseEncoder.writeHead(of: call, exchange: exchange, contentLength: nil, dates: &worker.dates, into: &buffer)
    }

    /// Sends the file as the body with sendfile; returns true when the application
    /// waits for the file to be written.
    private func sendFile(path: String, size: Int64) -> Bool {
        guard !isClosed else { return false }
        let call = exchange.call!
        var buffer = allocator.buffer(capacity: 512)
        exchange.headWritten(status: call.statusCode)
        let allowsBody = BodyFraming.allowsBody(code: call.statusCode, isHead: exchange.isHead)
        let declared = call.contentLength
        let length = Int(size)
        exchange.framing = .none  // the file region is the whole body
        if let declared, declared != length { exchange.mustClose = true }
        ResponseEncoder.writeHead(of: call, exchange: exchange, contentLength: declared == nil ? length : nil,
                                  dates: &worker.dates, into: &buffer)
        guard allowsBody, length > 0 else {
            write(buffer)
            return false
        }
        do {
            let file = try NIOFileHandle(_deprecatedPath: path)
            let region = FileRegion(fileHandle: file, readerIndex: 0, endIndex: min(length, declared ?? length))
            exchange.bodyBytesSent = region.readableBytes
            context.write(wrapOutboundOut(buffer), promise: nil)
            exchange.waiting = .fileWritten
            context.writeAndFlush(NIOAny(IOData.fileRegion(region))).whenComplete { [weak self] result in
                try? file.close()
                guard let self, self.exchange.waiting == .fileWritten else { return }
                self.exchange.waiting = .nothing
                if case .failure = result { self.exchange.mustClose = true }
                self.advance(self.exchange.call!.resume(self.isClosed ? .clientGone : .goOn))
            }
            return true
        } catch {
            worker.logger.error("cannot open \(path) for wsgi.file_wrapper: \(error)", metadata: ["request_id": "\(exchange.requestIDString)"])
            exchange.mustClose = true
            write(buffer)
            return false
        }
    }

    /// The application returned: a whole body to send with its head, or the end of a stream.
    private func finishResponse(hasHead: Bool, hasBody: Bool) {
        let call = exchange.call!
        guard hasHead else { return endStream() }
        exchange.headWritten(status: call.statusCode)
        let length = hasBody ? call.chunkLength : 0
        let allowsBody = BodyFraming.allowsBody(code: call.statusCode, isHead: exchange.isHead)
        let declared = call.contentLength
        var buffer = allocator.buffer(capacity: length + 512)
        // 1xx, 204 and 304 never carry a body, so the server states no length for them
        // (a 304's length would have to be the GET representation's, which it does not know).
        let noLengthHeader = !BodyFraming.allowsBody(code: call.statusCode, isHead: false)
        ResponseEncoder.writeHead(of: call, exchange: exchange,
                                  contentLength: declared != nil || noLengthHeader ? nil : length,
                                  dates: &worker.dates, into: &buffer)
        if allowsBody {
            let limit = declared ?? length
            if length > limit { logCut() }
            if length < limit { exchange.mustClose = true }
            call.writeChunk(into: &buffer, limit: limit)
            exchange.bodyBytesSent = min(length, limit)
        }
        write(buffer)
    }

    private func endStream() {
        switch exchange.framing {
        case .chunked:
            var buffer = allocator.buffer(capacity: 8)
            buffer.writeStaticString("0\r\n\r\n")
            write(buffer)
        case .length(let remaining) where remaining > 0:
            worker.logger.warning("response shorter than its Content-Length: closing the connection",
                                  metadata: ["request_id": "\(exchange.requestIDString)"])
            exchange.mustClose = true
        case .untilClose:
            exchange.mustClose = true
        default:
            break
        }
    }

    /// The application failed (or was stopped by its run-time limit): 500 (504) when the
    /// head is not out yet, else an abnormal end; logged with the request id either way.
    private func fail(_ message: String) {
        let id = exchange.requestIDString
        guard !isClosed else {
            worker.logger.debug("request ended by the client: \(message)", metadata: ["request_id": "\(id)"])
            return
        }
        if let failure = exchange.inputFailure, !exchange.headersSent {
            if failure == .tooLarge { return respondBody("413 Content Too Large", "Content Too Large\n") }
            if failure.isMalformed { return respondBody("400 Bad Request", "Bad Request: \(failure)\n") }
        }
        let stopped = exchange.call?.wasStopped == true
        worker.logger.error("request \(stopped ? "stopped" : "failed"): \(message)", metadata: ["request_id": "\(id)"])
        if exchange.headersSent {
            exchange.mustClose = true  // no terminating chunk, or short of Content-Length: the client can tell
            return
        }
        let (status, short) = stopped ? ("504 Gateway Timeout", "Gateway Timeout\n")
                                      : ("500 Internal Server Error", "Internal Server Error\n")
        respondBody(status, worker.configuration.development ? message + "\n" : short)
    }

    private func logCut() {
        worker.logger.warning("response longer than its Content-Length: cut",
                              metadata: ["request_id": "\(exchange.requestIDString)"])
    }

    private func respondBody(_ status: String, _ body: String) {
        exchange.headWritten(status: Int(status.prefix(3)) ?? 0)
        if !exchange.isHead { exchange.bodyBytesSent = body.utf8.count }
        var buffer = allocator.buffer(capacity: 256 + body.utf8.count)
        ResponseEncoder.writeSimpleResponse(status: status, body: body, exchange: exchange,
                                            dates: &worker.dates, into: &buffer)
        write(buffer)
    }

    /// Answers without an application (400, 404, 503, ...), with `detail` after the reason in the body.
    func respondSimply(_ status: String, detail: String? = nil) {
        let reason = status.dropFirst(4)
        respondBody(status, detail.map { "\(reason): \($0)\n" } ?? reason + "\n")
        complete()
    }

    // MARK: the end of an exchange

    /// The response is written: the state goes back, then the connection closes,
    /// drains the rest of the body, or goes on with the next request.
    func complete() {
        if var call = exchange.call {
            call.finish()
            exchange.call = nil
            worker.pool.giveBack(call.state)
        }
        if let log = worker.accessLog {
            let seconds = exchange.hasRequest ? Double((NIODeadline.now() - exchange.startTime).nanoseconds) / 1e9 : 0
            log.record(remote: exchange.forwardedClient ?? remote.address, head: exchange.hasRequest ? exchange.head : nil, status: exchange.status,
                       bytes: exchange.bodyBytesSent, seconds: seconds, requestID: exchange.requestID)
        }
        if exchange.mustClose || !exchange.keepAlive || isClosed || worker.isDraining {
            exchange.isActive = false
            return closeAfterWrites()
        }
        if !exchange.bodyEnded {
            if exchange.expectsContinue && !exchange.continueSent {
                exchange.isActive = false
                return closeAfterWrites()  // the client may never send the body it announced
            }
            exchange.isDraining = true
            setDeadline(after: worker.configuration.limits.bodyTimeout)
            exchange.body.removeAll()
            exchange.bufferedBytes = 0
            releaseReadIfPossible()
            return
        }
        endExchange()
    }

    func endExchange() {
        exchange.isActive = false
        if inputClosed { return closeAfterWrites() }
        phase = .waitingForRequest
        exchangeEndedSinceRead = true
        setDeadline(after: worker.configuration.limits.keepAliveTimeout)
        handleArrivals()
    }

    private func isValidRequestID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: ":"):
                true
            default:
                false
            }
        }
    }
}
