import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SPEC 5: SIGTERM and SIGINT stop accepting, let running requests finish (up to a grace
/// time), then close what is left and exit 0. Runs the real binary.
final class ShutdownTests: XCTestCase {
    static let script = #"return function(e, sr) local b = e["wsgi.input"]:read(); sr("200 OK", {}); return "done:" .. b end"#

    func startServer(grace: Double) throws -> LuagwProcess {
        try LuagwProcess(["wait.lua": Self.script], arguments: ["--grace-time", String(grace), "--reload", "off"])
    }

    func testRunningRequestFinishesThenTheProcessExitsZero() throws {
        let server = try startServer(grace: 10)
        let idle = try server.client()
        let running = try server.client()
        try running.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.2)
        kill(server.process.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertTrue(try idle.isClosedByServer(), "an idle connection is closed at once")
        XCTAssertNil(try? RawClient(port: server.port), "no new connections")
        XCTAssertTrue(server.process.isRunning, "a request is still running")
        try running.send("ok")
        let response = try running.readResponse()
        XCTAssertEqual(response.text, "done:ok")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(server.waitForExit(within: 5))
        XCTAssertEqual(server.process.terminationStatus, 0)
    }

    func testGraceTimeEndsWhatIsLeft() throws {
        let server = try startServer(grace: 0.5)
        let stuck = try server.client()
        try stuck.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.2)
        let start = Date()
        XCTAssertTrue(server.signal(SIGINT, waitingUpTo: 5))
        XCTAssertEqual(server.process.terminationStatus, 0)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertTrue(try stuck.isClosedByServer())
    }
}
