import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOEmbedded
@testable import LuaGateway

/// SPEC 5 logs: an access line per request (Common Log Format, duration, request id), and
/// errors and wsgi.errors lines tagged with the request id.
final class LogTests: XCTestCase {
    func testAccessLogLinePerRequest() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        let server = try TestServer(["ok.lua": #"return function(e, sr) sr("200 OK", {}); return "hello" end"#], accessLog: fds[1])
        XCTAssertEqual(try server.get("/ok/x?q=1", headers: "X-Request-Id: req-42\r\n").text, "hello")
        XCTAssertEqual(try server.get("/missing").code, 404)
        let bad = try server.client()
        try bad.send("NONSENSE\r\n\r\n")
        _ = try bad.readToEnd()
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        var byte = [UInt8](repeating: 0, count: 4096)
        XCTAssertNotEqual(fcntl(fds[0], F_SETFL, O_NONBLOCK), -1)
        while text.split(separator: "\n").count < 3 && Date() < deadline {
            let n = read(fds[0], &byte, byte.count)
            if n > 0 { text += String(decoding: byte[0..<n], as: UTF8.self) } else { Thread.sleep(forTimeInterval: 0.02) }
        }
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, text)
        let pattern = #"^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET /ok/x\?q=1 HTTP/1\.1" 200 5 \d+\.\d{6} req-42$"#
        XCTAssertNotNil(lines.first?.range(of: pattern, options: .regularExpression), lines.first ?? "")
        XCTAssertTrue(lines.count > 1 && lines[1].contains("\"GET /missing HTTP/1.1\" 404 "), text)
        XCTAssertTrue(lines.count > 2 && lines[2].contains("\"-\" 400 "), text)
    }

    func testErrorsAndWSGIErrorsCarryTheRequestID() throws {
        let log = LogCapture()
        let server = try TestServer([
            "talk.lua": #"return function(e, sr) e["wsgi.errors"]:write("note from the app\n"); sr("200 OK", {}); return "" end"#,
            "fail.lua": #"return function(e, sr) error("deliberate") end"#,
        ], logger: log.logger)
        _ = try server.get("/talk", headers: "X-Request-Id: talk-1\r\n")
        XCTAssertEqual(try server.get("/fail", headers: "X-Request-Id: fail-1\r\n").code, 500)
        XCTAssertTrue(log.messages.contains { $0.contains("note from the app") && $0.contains("talk-1") }, log.messages.joined(separator: "\n"))
        XCTAssertTrue(log.messages.contains { $0.contains("fail.lua:1: deliberate") && $0.contains("stack traceback") && $0.contains("fail-1") },
                      log.messages.joined(separator: "\n"))
    }
}

/// The access log's buffering (issue 12): lines go out together at the end of the loop turn
/// that logged them, not on a timer (handed to the writer's thread, which writes them at once).
final class AccessLogBufferTests: XCTestCase {
    /// An access log writing into a pipe (`fds[0]` reads it, without blocking) from an embedded
    /// loop; `run` ends the loop's turn and waits for its writer to write what was handed over.
    func pipedLog() throws -> (AccessLog, run: () -> Void, [Int32]) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        let loop = EmbeddedEventLoop()
        let channel = LogChannel(name: "access", fd: fds[1])
        return (AccessLog(channel: channel, eventLoop: loop), { loop.run(); XCTAssertTrue(channel.writer.drain(within: 20)) }, fds)
    }

    func testLinesGoOutAtTheEndOfTheirLoopTurnInOneWrite() throws {
        let (log, run, fds) = try pipedLog()
        defer { close(fds[0]); close(fds[1]) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        for id in ["a-1", "a-2"] {
            log.record(remote: "127.0.0.1", head: nil, status: 400, bytes: 0, seconds: 0, requestID: ByteBuffer(string: id))
        }
        XCTAssertEqual(read(fds[0], &bytes, bytes.count), -1, "nothing written while the turn runs")
        run()
        let n = read(fds[0], &bytes, bytes.count)
        let text = String(decoding: bytes[0..<max(n, 0)], as: UTF8.self)
        XCTAssertEqual(text.split(separator: "\n").map { $0.split(separator: " ").last ?? "" }, ["a-1", "a-2"], text)
        log.record(remote: "", head: nil, status: 408, bytes: 0, seconds: 0, requestID: ByteBuffer(string: "a-3"))
        run()
        XCTAssertGreaterThan(read(fds[0], &bytes, bytes.count), 0, "the next turn's line goes out at its end")
    }

    func testManyLinesOfOneTurnGoOutWholeAndInOrderWithTheirDurations() throws {
        let (log, run, fds) = try pipedLog()
        defer { close(fds[0]); close(fds[1]) }
        let durations: [(Double, String)] = [(1.5, "1.500000"), (0.0000004, "0.000000"), (12.0000126, "12.000013")]
        for i in 0..<300 {  // about 20 KiB: several writes of whole lines
            log.record(remote: "10.0.0.\(i % 256)", head: nil, status: 200 + i % 3, bytes: i * 1000,
                       seconds: durations[i % 3].0, requestID: ByteBuffer(string: "id-\(i)"))
        }
        run()
        var text = ""
        var chunk = [UInt8](repeating: 0, count: 65536)
        while case let n = read(fds[0], &chunk, chunk.count), n > 0 { text += String(decoding: chunk[0..<n], as: UTF8.self) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, 300)
        let odd = RequestHead(method: "GET", uri: "/a\"b\tc\\d", isHTTP11: false, keepAlive: false, bytes: ByteBuffer(),
                              fields: [], authority: nil)
        log.record(remote: "", head: odd, status: 404, bytes: 0, seconds: 0, requestID: ByteBuffer())
        run()
        let n = read(fds[0], &chunk, chunk.count)
        let escaped = String(decoding: chunk[0..<max(n, 0)], as: UTF8.self)
        XCTAssertTrue(escaped.hasPrefix("- - - ["), escaped)
        XCTAssertTrue(escaped.hasSuffix("] \"GET /a\\x22b\\x09c\\x5cd HTTP/1.0\" 404 0 0.000000 -\n"), escaped)
        for (i, line) in lines.enumerated() {
            let fields = line.split(separator: " ")
            XCTAssertEqual(fields.first.map(String.init), "10.0.0.\(i % 256)", String(line))
            XCTAssertEqual(fields.suffix(4).map(String.init), ["\(200 + i % 3)", "\(i * 1000)", durations[i % 3].1, "id-\(i)"],
                           String(line))
        }
    }
}
