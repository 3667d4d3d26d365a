import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SPEC 5: SIGTERM and SIGINT stop accepting, let running requests finish (up to a grace
/// time), then close what is left and exit 0. Runs the real binary.
final class ShutdownTests: XCTestCase {
    /// A file the application creates when it starts: the event the tests wait for.
    let started = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-started-\(UUID().uuidString)")

    override func tearDown() {
        try? FileManager.default.removeItem(at: started)
    }

    func startServer(grace: Double) throws -> LuagwProcess {
        let script = """
            return function(e, sr)
              io.open("\(started.path)", "w"):close()
              local b = e["wsgi.input"]:read(); sr("200 OK", {}); return "done:" .. b
            end
            """
        return try LuagwProcess(["wait.lua": script], arguments: ["--grace-time", String(grace), "--reload", "off"])
    }

    func waitForTheApplication() {
        waitUntil("the application to start") { FileManager.default.fileExists(atPath: started.path) }
    }

    func testRunningRequestFinishesThenTheProcessExitsZero() throws {
        let server = try startServer(grace: 10)
        let idle = try server.client()
        let running = try server.client()
        try running.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        waitForTheApplication()
        kill(server.process.processIdentifier, SIGTERM)
        XCTAssertTrue(try idle.isClosedByServer(), "an idle connection is closed at once")
        XCTAssertNil(try? RawClient(port: server.port), "no new connections")
        XCTAssertTrue(server.process.isRunning, "a request is still running")
        try running.send("ok")
        let response = try running.readResponse()
        XCTAssertEqual(response.text, "done:ok")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(server.waitForExit(within: 30))
        XCTAssertEqual(server.process.terminationStatus, 0)
    }

    func testGraceTimeEndsWhatIsLeft() throws {
        let server = try startServer(grace: 0.5)
        let stuck = try server.client()
        try stuck.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        waitForTheApplication()
        // It ends after the grace time although the request never would: well before the 30 s waited here.
        try assertGraceTimeEnds(server, signal: SIGINT, closing: [stuck])
    }

    /// After `signal`, the process exits 0 within 30 s and the connections of `closing` are closed.
    func assertGraceTimeEnds(_ server: LuagwProcess, signal: Int32, closing clients: [RawClient],
                             file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(server.signal(signal, waitingUpTo: 30), file: file, line: line)
        XCTAssertEqual(server.process.terminationStatus, 0, file: file, line: line)
        for client in clients { XCTAssertTrue(try client.isClosedByServer(), file: file, line: line) }
    }

    func testGraceTimeEndsARequestWaitingOnASocketOrASleep() throws {
        let server = try LuagwProcess(["waits.lua": """
            local luagw = require "luagw"
            return function(e, sr)
              io.open("\(started.path)", "w"):close()
              if e.QUERY_STRING == "sleep" then luagw.sleep(600) end
              local sock = luagw.socket.tcp()
              sock:settimeout(600000)
              assert(sock:connect("127.0.0.1", tonumber(e.QUERY_STRING)))
              sock:receive()  -- the peer never answers
              sr(200, {}); return "never"
            end
            """], arguments: ["--grace-time", "0.5", "--reload", "off"])
        let silent = try LoopbackListener { _ in }
        let sleeper = try server.client()
        try sleeper.send("GET /waits?sleep HTTP/1.1\r\nHost: t\r\n\r\n")
        waitForTheApplication()
        try FileManager.default.removeItem(at: started)
        let reader = try server.client()
        try reader.send("GET /waits?\(silent.port) HTTP/1.1\r\nHost: t\r\n\r\n")
        waitForTheApplication()
        // Ten minutes of waiting end with the grace time.
        try assertGraceTimeEnds(server, signal: SIGTERM, closing: [sleeper, reader])
    }

    /// SIGTERM to the real process: every open WebSocket gets close 1001; one whose client answers
    /// the close ends at once, one whose client never answers is closed when the grace time ends;
    /// then the process exits 0.
    func testSIGTERMClosesWebSocketsWith1001ThenExits() throws {
        let server = try LuagwProcess(["ws.lua": webSocketEchoScript()], arguments: ["--grace-time", "3", "--reload", "off"])
        let polite = try WebSocketClient(port: server.port, timeout: 30)
        let silent = try WebSocketClient(port: server.port, timeout: 30)
        for client in [polite, silent] {
            try client.open("/ws")
            try client.sendText("up")
            XCTAssertEqual(try client.receiveFrame().text, "up")
        }
        kill(server.process.processIdentifier, SIGTERM)
        for client in [polite, silent] {
            let close = try client.receiveClose()
            XCTAssertEqual(close.closeCode, 1001)
        }
        try polite.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1001))
        XCTAssertTrue(try polite.raw.isClosedByServer(), "an answered close ends the connection")
        XCTAssertTrue(server.waitForExit(within: 30), "the grace time ends the WebSocket that never answered")
        XCTAssertEqual(server.process.terminationStatus, 0)
        XCTAssertTrue(try silent.raw.isClosedByServer())
    }
}
