import NIOCore
import NIOEmbedded
import XCTest
internal import CLuaGatewayBridge
@testable import LuaGateway

/// The step loop apart from HTTP: a host of the test's own, an embedded event loop whose
/// clock the test moves, and a real state. Stacks stay balanced whatever way a request ends.
final class RequestRunnerTests: XCTestCase {
    /// A host that records what the runner asks of it and answers as the test says.
    final class RecordingHost: RequestHost {
        var inputs: [RequestInput?] = []
        var sendVerdicts: [ApplicationCall.Verdict?] = []
        var sent: [String] = []
        var finished: [String] = []
        var failures: [String] = []
        var ended = 0

        func nextInput() -> RequestInput? { inputs.isEmpty ? nil : inputs.removeFirst() }

        func send(_ call: ApplicationCall, hasHead: Bool) -> ApplicationCall.Verdict? {
            var buffer = ByteBuffer()
            call.writeChunk(into: &buffer)
            sent.append(String(buffer: buffer))
            return sendVerdicts.isEmpty ? .goOn : sendVerdicts.removeFirst()
        }

        func sendFile(_ call: ApplicationCall, path: String, offset: Int64, size: Int64) -> ApplicationCall.Verdict? { .goOn }

        func finish(_ call: ApplicationCall, hasHead: Bool, hasBody: Bool) {
            var buffer = ByteBuffer()
            if hasBody { call.writeChunk(into: &buffer) }
            finished.append(String(buffer: buffer))
        }

        func fail(_ message: String, stopped: Bool) { failures.append(message) }
        func flush() {}
        func requestEnded() { ended += 1 }
    }

    private let loop = EmbeddedEventLoop()
    private var givenBack: [LuaState] = []

    private func run(_ source: String, host: RecordingHost) throws -> (RequestRunner, LuaState) {
        let scripts = ScriptSet(root: "/nonexistent", mounts: [Mount(path: "", file: "/t/app.lua", source: Array(source.utf8))])
        let state = try LuaState(scripts: scripts) { _, message in XCTFail(message) }
        let runner = RequestRunner(host: host, eventLoop: loop, sockets: SocketTable(), timers: nil) { [unowned self] in self.givenBack.append($0) }
        let environ = EnvironBuilder()
        environ.reset()
        runner.start(on: state, index: 0, environ: environ, requestID: ByteBuffer(string: "r1"), runOnce: false)
        return (runner, state)
    }

    private func assertBalanced(_ state: LuaState, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(lua_gettop(state.main), 0, "main stack", file: file, line: line)
        for coroutine in state.coroutines {
            XCTAssertEqual(lua_gettop(coroutine.thread), 0, "request coroutine stack", file: file, line: line)
        }
    }

    func testInputThatComesLaterResumesTheApplication() throws {
        let host = RecordingHost()
        let (runner, state) = try run(#"return function(e, sr) sr(200, {}); return e["wsgi.input"]:read() end"#, host: host)
        XCTAssertEqual(runner.waiting, .input, "no input yet: it waits")
        host.inputs = [.bytes(ByteBuffer(string: "ab")), .bytes(ByteBuffer(string: "cd")), .end]
        runner.inputArrived()
        XCTAssertEqual(host.finished, ["abcd"])
        XCTAssertEqual(host.ended, 1)
        XCTAssertEqual(givenBack.count, 1, "the state is given back once")
        XCTAssertFalse(runner.isRunning)
        assertBalanced(state)
    }

    func testASlowHostHoldsTheApplicationUntilItResumesIt() throws {
        let host = RecordingHost()
        host.sendVerdicts = [nil]
        let (runner, state) = try run(#"""
            return function(e, sr) sr(200, {}); return coroutine.wrap(function()
              coroutine.yield("one"); coroutine.yield("two") end) end
            """#, host: host)
        XCTAssertEqual(runner.waiting, .host)
        XCTAssertEqual(host.sent, ["one"])
        runner.resume(.goOn)
        XCTAssertEqual(host.sent, ["one", "two"])
        XCTAssertEqual(host.ended, 1)
        assertBalanced(state)
    }

    func testASleepResumesWhenItsTimeHasCome() throws {
        let host = RecordingHost()
        let (runner, state) = try run(#"return function(e, sr) e.luagw.sleep(5); sr(200, {}); return "awake" end"#, host: host)
        XCTAssertEqual(runner.waiting, .operation)
        loop.advanceTime(by: .seconds(4))
        XCTAssertEqual(host.finished, [], "still asleep after 4 of 5 seconds")
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(host.finished, ["awake"])
        XCTAssertEqual(givenBack.count, 1)
        assertBalanced(state)
    }

    func testAClientGoneCancelsTheOperationAndTheApplicationUnwinds() throws {
        let host = RecordingHost()
        let (runner, state) = try run(#"""
            return function(e, sr)
              local ok, err = pcall(e.luagw.sleep, 60)
              sr(200, {}); return "after: " .. tostring(err)
            end
            """#, host: host)
        runner.clientGone()
        XCTAssertEqual(host.finished, ["after: the client went away"], "the wait raised in the application")
        XCTAssertEqual(host.ended, 1)
        loop.advanceTime(by: .seconds(61))
        XCTAssertEqual(host.ended, 1, "the cancelled sleep never resumes anything")
        assertBalanced(state)
    }

    func testAnOperationNumberNobodyRegisteredDoesNotStart() throws {
        let host = RecordingHost()
        let (_, state) = try run(#"return function(e, sr) sr(200, {}); return "" end"#, host: host)
        let context = OperationContext(eventLoop: loop, sockets: SocketTable())
        let result = Operations.start(99, call: ApplicationCall(state: state), context: context) { _ in XCTFail("completed") }
        guard case .failure(let error) = result else { return XCTFail("an unknown operation started") }
        XCTAssertEqual(error.message, "luagw: no operation 99")
    }
}
