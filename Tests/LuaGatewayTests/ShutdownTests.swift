import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SPEC 5: SIGTERM and SIGINT stop accepting, let running requests finish (up to a grace
/// time), then close what is left and exit 0. Runs the real binary.
final class ShutdownTests: XCTestCase {
    static let script = #"return function(e, sr) local b = e["wsgi.input"]:read(); sr("200 OK", {}); return "done:" .. b end"#

    func startServer(grace: Double) throws -> (Process, Int, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-stop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.script.write(to: directory.appendingPathComponent("wait.lua"), atomically: true, encoding: .utf8)
        let candidates = [ProcessInfo.processInfo.environment["LUAGW_BINARY"], ".build/release/luagw", ".build/debug/luagw"]
        guard let binary = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no luagw binary: run scripts/test")
        }
        let port = 21000 + Int.random(in: 0..<20000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", directory.path, "--bind", "127.0.0.1:\(port)", "--workers", "1",
                             "--grace-time", String(grace), "--reload", "off", "--log-level", "error"]
        try process.run()
        for _ in 0..<100 {
            if (try? RawClient(port: port)) != nil { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (process, port, directory)
    }

    func waitForExit(_ process: Process, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return !process.isRunning
    }

    func testRunningRequestFinishesThenTheProcessExitsZero() throws {
        let (process, port, directory) = try startServer(grace: 10)
        defer { try? FileManager.default.removeItem(at: directory); if process.isRunning { process.terminate() } }
        let idle = try RawClient(port: port)
        let running = try RawClient(port: port)
        try running.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.2)
        kill(process.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertTrue(try idle.isClosedByServer(), "an idle connection is closed at once")
        XCTAssertNil(try? RawClient(port: port), "no new connections")
        XCTAssertTrue(process.isRunning, "a request is still running")
        try running.send("ok")
        let response = try running.readResponse()
        XCTAssertEqual(response.text, "done:ok")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(waitForExit(process, within: 5))
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testGraceTimeEndsWhatIsLeft() throws {
        let (process, port, directory) = try startServer(grace: 0.5)
        defer { try? FileManager.default.removeItem(at: directory); if process.isRunning { process.terminate() } }
        let stuck = try RawClient(port: port)
        try stuck.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.2)
        let start = Date()
        kill(process.processIdentifier, SIGINT)
        XCTAssertTrue(waitForExit(process, within: 5))
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertTrue(try stuck.isClosedByServer())
    }
}
