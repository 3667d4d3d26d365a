import NIOCore

/// One test file's run (`luagw test`), as its runner's host: a request with no body whose
/// response nobody reads; what matters is whether the application (the file) ran to its end.
final class TestFileRun: RequestHost {
    private let tests: ApplicationTests
    private let file: String
    private let eventLoop: EventLoop
    private let done: (String?) -> Void
    private var runner: RequestRunner?
    private var state: LuaState?
    private var failure: String?

    /// `done` gets nil when the file passed, else its error.
    init(tests: ApplicationTests, file: String, eventLoop: EventLoop, done: @escaping (String?) -> Void) {
        self.tests = tests
        self.file = file
        self.eventLoop = eventLoop
        self.done = done
    }

    func start() {
        let state: LuaState
        let sockets: SocketTable
        do {
            state = try tests.state(for: file)
            sockets = SocketTable(tls: try TLSClientContexts.trusting([]))
        } catch let error as LuaError {
            return done(error.message)
        } catch {
            return done("\(error)")
        }
        let environ = EnvironBuilder()
        environ.fillFromCGI([:], requestID: "luagw-test")
        self.state = state
        let runner = RequestRunner(host: self, eventLoop: eventLoop, sockets: sockets, timers: nil, logger: tests.logger) { _ in }
        self.runner = runner
        runner.start(on: state, index: 0, environ: environ, requestID: ByteBuffer(string: "luagw-test"), runOnce: true)
    }

    func nextInput() -> RequestInput? { .end }

    func send(_ call: ApplicationCall, hasHead: Bool) -> ApplicationCall.Verdict? { .goOn }

    func sendFile(_ call: ApplicationCall, path: String, offset: Int64, size: Int64) -> ApplicationCall.Verdict? { .goOn }

    func finish(_ call: ApplicationCall, hasHead: Bool, hasBody: Bool) {}

    func fail(_ message: String, stopped: Bool) {
        failure = stopped ? "stopped by --run-time: \(message)" : message
    }

    func flush() {}

    func requestEnded() {
        runner = nil
        state = nil
        done(failure)
    }
}
