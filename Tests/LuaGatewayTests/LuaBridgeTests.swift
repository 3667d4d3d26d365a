import NIOCore
import XCTest
internal import CLuaGatewayBridge
@testable import LuaGateway

/// The bridge without the network: a state, a request coroutine driven step by step,
/// and the stacks of both threads balanced after every kind of ending.
final class LuaBridgeTests: XCTestCase {
    func makeState(_ source: String) throws -> LuaState {
        let scripts = ScriptSet(root: "/nonexistent", mounts: [Mount(path: "", file: "/t/app.lua", source: Array(source.utf8))])
        var errors: [String] = []
        let state = try LuaState(scripts: scripts) { _, message in errors.append(message) }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(lua_gettop(state.main), 0, "setting up leaves the main stack empty")
        return state
    }

    func start(_ state: LuaState, _ call: inout ApplicationCall) -> ApplicationCall.Step {
        let environ = EnvironBuilder()
        environ.reset()
        environ.set("REQUEST_METHOD", "POST")
        environ.addHeader(name: "X-A".utf8, value: "1".utf8)
        return call.start(index: 0, environ: environ, requestID: ByteBuffer(string: "rid-1"), runOnce: false)
    }

    func assertBalanced(_ state: LuaState, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(lua_gettop(state.main), 0, "main stack", file: file, line: line)
        for coroutine in state.coroutines {
            XCTAssertEqual(lua_gettop(coroutine.thread), 0, "request coroutine stack", file: file, line: line)
            XCTAssertEqual(lua_status(coroutine.thread), LUA_OK, file: file, line: line)
        }
    }

    func testWholeBodyRequestLeavesStacksBalanced() throws {
        let state = try makeState(#"return function(e, sr) sr(200, {{"X", e.HTTP_X_A}}); return "body:" .. e.REQUEST_METHOD end"#)
        for _ in 0..<3 {
            var call = ApplicationCall(state: state)
            guard case .finished(hasHead: true, hasBody: true) = start(state, &call) else { return XCTFail("expected a whole body") }
            XCTAssertEqual(call.statusCode, 200)
            var buffer = ByteBuffer()
            call.writeHeaderLines(into: &buffer)
            XCTAssertEqual(String(buffer: buffer), "X: 1\r\n")
            buffer.clear()
            call.writeChunk(into: &buffer)
            XCTAssertEqual(String(buffer: buffer), "body:POST")
            call.finish()
            assertBalanced(state)
        }
    }

    func testInputAndStreamingStepsLeaveStacksBalanced() throws {
        let state = try makeState(#"""
            return function(e, sr)
              local got = e["wsgi.input"]:read()
              sr("200 OK", {})
              return coroutine.wrap(function() coroutine.yield(got); coroutine.yield("!") end)
            end
            """#)
        var call = ApplicationCall(state: state)
        // read() of the whole body asks for all of it (READ, true): `.needAllInput`.
        guard case .needAllInput = start(state, &call) else { return XCTFail("expected a read") }
        guard case .needAllInput = call.resume(input: ByteBuffer(string: "abc")) else { return XCTFail("expected a second read") }
        guard case .send(hasHead: true) = call.resumeAtEndOfInput() else { return XCTFail("expected the first chunk") }
        var buffer = ByteBuffer()
        call.writeChunk(into: &buffer)
        XCTAssertEqual(String(buffer: buffer), "abc")
        guard case .send(hasHead: false) = call.resume(.goOn) else { return XCTFail("expected the second chunk") }
        guard case .finished(hasHead: false, hasBody: false) = call.resume(.goOn) else { return XCTFail("expected the end") }
        call.finish()
        assertBalanced(state)
        // The coroutine that returned is not reset: the next call on it starts afresh all the same.
        var next = ApplicationCall(state: state)
        guard case .needAllInput = start(state, &next) else { return XCTFail("expected a read on the reused coroutine") }
        guard case .send(hasHead: true) = next.resume(input: ByteBuffer(string: "x"), atEnd: true) else { return XCTFail("expected the first chunk") }
        next.finish()  // abandoned while suspended: this one is reset
        assertBalanced(state)
    }

    func testAGatheredBodyBecomesAStringWithoutACopy() throws {
        let state = try makeState(#"return function(e, sr) local b = e["wsgi.input"]:read(); sr(200, {}); return b .. #b end"#)
        // Lua 5.4's strings on 64-bit have 24 bytes before their contents: the block is taken as it is.
        XCTAssertEqual(luagw_string_header(), 3 * MemoryLayout<UnsafeRawPointer>.size)
        var call = ApplicationCall(state: state)
        guard case .needAllInput = start(state, &call) else { return XCTFail("expected a read") }
        var gathered = AdoptableString()
        gathered.append(ByteBuffer(string: String(repeating: "a", count: 100)), expected: 300)
        gathered.append(ByteBuffer(string: String(repeating: "b", count: 150)), expected: 300)  // shorter than expected
        XCTAssertEqual(gathered.count, 250)
        guard case .finished(hasHead: true, hasBody: true) = call.resume(adopting: &gathered, atEnd: true) else {
            return XCTFail("expected a whole body")
        }
        XCTAssertTrue(gathered.isEmpty)
        var buffer = ByteBuffer()
        call.writeChunk(into: &buffer)
        XCTAssertEqual(String(buffer: buffer), String(repeating: "a", count: 100) + String(repeating: "b", count: 150) + "250")
        call.finish()
        luagw_budget_collect(state.main)  // the string's block is freed as Lua's own
        assertBalanced(state)
    }

    func testFailuresAndAbandonedCallsLeaveStacksBalanced() throws {
        let state = try makeState(#"""
            return function(e, sr)
              if e.HTTP_X_A == "1" then
                sr("200 OK", {})
                return function() return "x" end
              end
            end
            """#)
        var call = ApplicationCall(state: state)
        guard case .send = start(state, &call) else { return XCTFail("expected a chunk") }
        guard case .failed(let message) = call.resume(.clientGone) else { return XCTFail("expected a failure") }
        XCTAssertTrue(message.contains("the client went away"), message)
        call.finish()
        assertBalanced(state)
        // Abandoned in the middle (the coroutine is reset, not resumed).
        var again = ApplicationCall(state: state)
        guard case .send = start(state, &again) else { return XCTFail("expected a chunk") }
        again.finish()
        assertBalanced(state)
    }

    func testTopLevelYieldIsAFailure() throws {
        let state = try makeState(#"return function(e, sr) coroutine.yield("nope") end"#)
        var call = ApplicationCall(state: state)
        guard case .failed(let message) = start(state, &call) else { return XCTFail("expected a failure") }
        XCTAssertTrue(message.contains("yielded outside a coroutine"))
        call.finish()
        assertBalanced(state)
    }

    func testLoadErrorsNameTheFileAndLine() throws {
        let scripts = ScriptSet(root: "/x", mounts: [Mount(path: "", file: "/t/bad.lua", source: Array("local x = \n return )".utf8))])
        var errors: [String] = []
        _ = try LuaState(scripts: scripts) { _, message in errors.append(message) }
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors[0].hasPrefix("/t/bad.lua:2:"), errors[0])
    }
}
