internal import CLuaGatewayBridge
import Logging
import NIOCore

/// Runs one request's application at a time on a coroutine of a borrowed state (SPEC 1-2,
/// 4): the step loop that HTTP connections, CGI programs and SPEC 7's timers share. It
/// carries the application's coroutine forward until it waits for something: body
/// bytes and a slow client (its host resumes it), the end of a time slice, or an
/// operation (`Operations`: a sleep, later sockets); the operation still pending when
/// the request ends is cancelled. One runner per connection, reused by its requests.
final class RequestRunner {
    /// What the running application waits for.
    enum Waiting: Equatable {
        case nothing
        /// Body bytes the host does not have yet.
        case input
        /// The host to take more of the response (the client reads slowly).
        case host
        /// Its time slice is over: it goes on once others had their turn.
        case timeSlice
        /// An operation to complete.
        case operation
    }

    /// What operations use: the loop, its sockets, the request's cleanups.
    let context: OperationContext
    private unowned let owner: RequestHost
    /// The host, held while a request runs (and only then): a connection that closes stays
    /// until its application has unwound (a time slice or an operation may still resume it).
    private var host: RequestHost?
    private let eventLoop: EventLoop
    private let giveBack: (LuaState) -> Void
    private(set) var call: ApplicationCall?
    private(set) var waiting = Waiting.nothing
    private var pending: Operation?
    /// What a waiting step is answered with: a verdict for a send, results for an operation.
    private enum Answer {
        case verdict(ApplicationCall.Verdict)
        case results([OperationValue])
    }
    /// Set while the step loop asks the host to send or starts an operation: an answer given
    /// before the ask returned (a write done at once, an operation with nothing to wait for)
    /// is kept here, and the loop goes on with it itself.
    private var isAsking = false
    private var answeredAtOnce: Answer?
    /// Set while the step loop runs; a request that ends in it is told to its host after it
    /// (`endedHost`).
    private var isAdvancing = false
    private var endedHost: RequestHost?
    /// A read of the whole body (`read()`) collects what arrives here and hands it over in one
    /// string (Lua then joins nothing): a body that came in one piece as it came, a larger one
    /// gathered into the string's own memory; `readsAll` says that the input being waited for is for it.
    private var wholeBody = ByteBuffer()
    private var gathered = AdoptableString()
    private var readsAll = false
    /// Bytes a whole-body read hands over at most in one string: what the server holds for it
    /// stays bounded whatever the body's size (Lua joins the pieces of a larger body).
    static let wholeBodyPiece = 4 << 20

    /// `giveBack` returns a state to where it was borrowed from when the request ends.
    init(host: RequestHost, eventLoop: EventLoop, sockets: SocketTable, timers: TimerTable?,
         logger: Logger = Logger(label: "luagw"), webSockets: WebSocketTable = WebSocketTable(),
         giveBack: @escaping (LuaState) -> Void) {
        self.owner = host
        self.eventLoop = eventLoop
        self.context = OperationContext(eventLoop: eventLoop, sockets: sockets, timers: timers, logger: logger,
                                        webSockets: webSockets)
        self.giveBack = giveBack
    }

    deinit {
        gathered.clear()  // a body being gathered when the runner goes without its request's end (shutdown)
    }

    /// Whether an application is running (or waiting).
    var isRunning: Bool { call != nil }

    /// Starts the application of mount `index` (0-based) on `state`.
    func start(on state: LuaState, index: Int, environ: EnvironBuilder, requestID: ByteBuffer, runOnce: Bool) {
        begin(on: state) { $0.start(index: index, environ: environ, requestID: requestID, runOnce: runOnce) }
    }

    /// Starts timer `id` of `state` (SPEC 7), run like a request.
    func startTimer(on state: LuaState, id: Int, premature: Bool) {
        begin(on: state) { $0.startTimer(id: id, premature: premature) }
    }

    /// Starts light thread `id` of `state` (SPEC 7's `luagw.thread.spawn`): it runs until it
    /// waits or finishes before this returns.
    func startThread(on state: LuaState, id: Int) {
        begin(on: state) { $0.startThread(id: id) }
    }

    /// Ends the run before its application finished (a light thread killed): a pending
    /// operation is cancelled, the coroutine reset (its to-be-closed variables closed).
    func stop() {
        guard let host, call != nil, waiting != .nothing else { return }
        end(host)
    }

    private func begin(on state: LuaState, _ first: (inout ApplicationCall) -> ApplicationCall.Step) {
        self.host = owner
        context.requestBegins()
        guard let coroutine = state.takeCoroutine() else {
            state.isPoisoned = true  // no memory for one more coroutine: replaced once its requests end
            giveBack(state)
            owner.fail("out of memory while preparing the request", stopped: false)
            return end(owner)
        }
        var call = ApplicationCall(state: state, coroutine: coroutine)
        call.labelSource(Unmanaged.passUnretained(self).toOpaque())
        let step = first(&call)
        self.call = call
        advance(step)
    }

    /// The watchdog's labeller (watchdog.c): names a run whose resume blocks its event loop from
    /// its runner's host, on the watchdog's thread while the loop's thread is held in the resume
    /// (running only C and Lua: nothing of the host changes meanwhile).
    static let labeller: luagw_labeller = { source, run in
        guard let source, let run else { return }
        Unmanaged<RequestRunner>.fromOpaque(source).takeUnretainedValue().owner.runLabel.write(into: run)
    }

    // MARK: events that resume the application

    /// The host has input for an application waiting for it.
    func inputArrived() {
        guard waiting == .input else { return }
        waiting = .nothing
        advance(readsAll ? .needAllInput : .needInput)
    }

    /// The host takes more of the response (or the client is gone).
    func resume(_ verdict: ApplicationCall.Verdict) {
        if isAsking { return answeredAtOnce = .verdict(verdict) }
        guard waiting == .host else { return }
        waiting = .nothing
        advance(call!.resume(verdict))
    }

    /// The client is gone: an application waiting on the client learns it (its reads fail,
    /// its sends raise, its body's close runs); one waiting on an operation stops waiting.
    func clientGone() {
        switch waiting {
        case .input:
            inputArrived()
        case .host:
            resume(.clientGone)
        case .operation:
            pending?.cancel()
            pending = nil
            waiting = .nothing
            advance(call!.resume(.clientGone))
        case .nothing, .timeSlice:
            break  // it learns at its next send
        }
    }

    // MARK: the step loop

    /// Carries the application forward until it waits for something or is done; what it
    /// sent meanwhile goes out in one flush (chunks produced back to back share a system
    /// call; a chunk never waits behind a pause of the application).
    private func advance(_ first: ApplicationCall.Step) {
        guard let host else { return }
        isAdvancing = true
        run(from: first, host: host)
        isAdvancing = false
        host.flush()
        // The request ended in the loop: its host hears it now that the loop has unwound, so
        // that what the host starts next (a connection's next request) never runs inside it.
        if let ended = endedHost {
            endedHost = nil
            ended.requestEnded()
        }
    }

    private func run(from first: ApplicationCall.Step, host: RequestHost) {
        var step = first
        while true {
            switch step {
            case .needInput:
                switch host.nextInput() {
                case .bytes(let bytes)?: step = call!.resume(input: bytes)
                case .end?: step = call!.resumeAtEndOfInput()
                case .failure(let failure)?: step = call!.resume(inputFailure: failure)
                case nil:
                    waiting = .input
                    return
                }
            case .needAllInput:
                readsAll = true
                switch host.nextInput() {
                case .bytes(let bytes)?:
                    collectWholeBody(bytes, declared: host.declaredBodyLength)
                    if collectedBytes >= Self.wholeBodyPiece { step = handOverWholeBody(atEnd: false) }
                case .end?:
                    step = collectedBytes > 0 ? handOverWholeBody(atEnd: true) : call!.resumeAtEndOfInput()
                case .failure(let failure)?:
                    clearWholeBody()
                    step = call!.resume(inputFailure: failure)
                case nil:
                    waiting = .input
                    return
                }
            case .send(let hasHead):
                guard let verdict = ask({ host.send(call!, hasHead: hasHead) }) ?? verdictAtOnce() else {
                    waiting = .host
                    return
                }
                step = call!.resume(verdict)
            case .sendFile(let path, let offset, let size):
                guard let verdict = ask({ host.sendFile(call!, path: path, offset: offset, size: size) }) ?? verdictAtOnce() else {
                    waiting = .host
                    return
                }
                step = call!.resume(verdict)
            case .wait(let operation):
                let started = ask { Operations.start(operation, call: call!, context: context, completion: operationCompleted) }
                switch started {
                case .success(let started):
                    guard let results = resultsAtOnce() else {
                        pending = started
                        waiting = .operation
                        return
                    }
                    step = call!.resume(results: results)
                case .failure(let error):
                    host.fail(error.message, stopped: false)
                    return end(host)
                }
            case .finished(let hasHead, let hasBody):
                host.finish(call!, hasHead: hasHead, hasBody: hasBody)
                return end(host)
            case .timeSliceOver:
                // Let the loop serve others, then go on (SPEC 5, fairness).
                waiting = .timeSlice
                eventLoop.scheduleTask(in: .oneLoopTurn) { self.timeSliceResumes() }
                return
            case .failed(let message):
                let state = call!.state
                host.fail(call!.stopTrace ?? message, stopped: call!.wasStopped)
                end(host)
                if message.contains(LuaState.outOfMemoryMessage) { state.collectAfterRunningOut() }
                return
            }
        }
    }

    private func ask<T>(_ body: () -> T) -> T {
        isAsking = true
        defer { isAsking = false }
        return body()
    }

    /// Adds a piece of body to a whole-body read: the first is kept as it came (a body that
    /// arrives in one piece is not copied here); with a second, they are gathered into the block
    /// of the string-to-be, sized for the body.
    private func collectWholeBody(_ bytes: ByteBuffer, declared: Int?) {
        if gathered.isEmpty && wholeBody.readableBytes == 0 { return wholeBody = bytes }
        let expected = min(declared ?? 0, Self.wholeBodyPiece)
        if gathered.isEmpty {
            gathered.append(wholeBody, expected: expected)
            wholeBody = ByteBuffer()
        }
        gathered.append(bytes, expected: expected)
    }

    private var collectedBytes: Int { gathered.isEmpty ? wholeBody.readableBytes : gathered.count }

    /// Resumes a whole-body read with what was collected, and whether that was the end.
    private func handOverWholeBody(atEnd: Bool) -> ApplicationCall.Step {
        readsAll = false
        if gathered.isEmpty {
            let bytes = wholeBody
            wholeBody = ByteBuffer()  // its memory is the string's now: not kept by the connection
            return call!.resume(input: bytes, atEnd: atEnd)
        }
        return call!.resume(adopting: &gathered, atEnd: atEnd)
    }

    private func clearWholeBody() {
        wholeBody = ByteBuffer()
        gathered.clear()
        readsAll = false
    }

    private func verdictAtOnce() -> ApplicationCall.Verdict? {
        defer { answeredAtOnce = nil }
        guard case .verdict(let verdict)? = answeredAtOnce else { return nil }
        return verdict
    }

    private func resultsAtOnce() -> [OperationValue]? {
        defer { answeredAtOnce = nil }
        guard case .results(let results)? = answeredAtOnce else { return nil }
        return results
    }

    private func timeSliceResumes() {
        guard waiting == .timeSlice else { return }
        waiting = .nothing
        advance(call!.resumeAfterTimeSlice())
    }

    private func operationCompleted(_ results: [OperationValue]) {
        if isAsking { return answeredAtOnce = .results(results) }
        guard waiting == .operation else { return }
        pending = nil
        waiting = .nothing
        advance(call!.resume(results: results))
    }

    /// The request is over: a pending operation is cancelled, what the request held (its
    /// sockets) released, the coroutine reset, the state given back; then the host ends
    /// the exchange.
    private func end(_ host: RequestHost) {
        pending?.cancel()
        pending = nil
        waiting = .nothing
        clearWholeBody()
        context.requestEnded()
        if var call {
            call.finish()
            self.call = nil
            giveBack(call.state)
        }
        self.host = nil  // the host may start its next request now
        if isAdvancing {
            endedHost = host
        } else {
            host.requestEnded()
        }
    }
}
