import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// Issue 23.7 and 23.8: a body the client breaks (too large, stalled, cut short) is the
/// client's fault, not the application's: when the application does not catch its read's
/// error the answer is 413, 408 or 400, logged at info and not counted as a Lua error; and
/// the unread body of an answered request is drained only so far before the connection closes.
final class ClientBodyFailureTests: XCTestCase {
    static let scripts = [
        "ok.lua": #"return function(e, sr) sr("200 OK", {}); return "ok" end"#,
        "echo.lua": #"return function(e, sr) local b = e["wsgi.input"]:read(); sr("200 OK", {}); return b end"#,
    ]

    func testUncaughtBodyReadFailuresAnswerWhatTheClientCaused() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger,
                                    limits: RequestLimits(maxBodyBytes: 1 << 20, bodyTimeout: 0.5), admin: true)

        // A chunk that announces more than --max-body: 413 at once, before any of its data.
        let announced = try server.client()
        try announced.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\nabc")
        XCTAssertEqual(try announced.readResponse().code, 413)
        XCTAssertTrue(try announced.isClosedByServer())

        // A body that stops coming: 408.
        let stalled = try server.client()
        try stalled.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten..")
        XCTAssertEqual(try stalled.readResponse().code, 408)

        // A body cut short by the client's close of its sending side: 400.
        let truncated = try server.client()
        try truncated.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten..")
        truncated.shutdownWrite()
        let response = try truncated.readResponse()
        XCTAssertEqual(response.code, 400)
        XCTAssertTrue(response.text.contains("before sending the whole body"), response.text)

        XCTAssertEqual(try server.get("/ok").text, "ok")
        XCTAssertEqual(log.count(of: "request ended: wsgi.input:"), 3, log.messages.joined(separator: "\n"))
        XCTAssertFalse(log.messages.contains { $0.hasPrefix("error") }, log.messages.joined(separator: "\n"))
        let admin = try RawClient(port: XCTUnwrap(server.server.adminAddress).port)
        let metrics = try admin.request("GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n").text
        XCTAssertTrue(metrics.contains("luagw_lua_errors_total{kind=\"error\"} 0"), "no Lua error counted:\n\(metrics)")
    }

    func testAnUncaughtErrorAfterACaughtReadFailureIsStillTheApplications() throws {
        let log = LogCapture()
        let server = try TestServer(["caught.lua": #"""
            return function(e, sr)
              pcall(e["wsgi.input"].read, e["wsgi.input"])
              error("the application's own bug")
            end
            """#], logger: log.logger, limits: RequestLimits(bodyTimeout: 0.5))
        let client = try server.client()
        try client.send("POST /caught HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten..")
        XCTAssertEqual(try client.readResponse().code, 500)
        XCTAssertTrue(log.messages.contains { $0.hasPrefix("error") && $0.contains("the application's own bug") },
                      log.messages.joined(separator: "\n"))
    }

    func testUnreadBodyIsDrainedOnlySoFar() throws {
        let server = try TestServer(Self.scripts)
        // A small unread body is drained: the connection serves the next request.
        let small = try server.client()
        let response = try small.request("POST /ok HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "x", count: 1000))
        XCTAssertEqual(response.text, "ok")
        XCTAssertEqual(try small.request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text, "ok")

        // A large one is not: past a bounded amount the connection closes, and the request
        // sent after that body is never read.
        let large = try server.client()
        try large.send("POST /ok HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        XCTAssertEqual(try large.readResponse().text, "ok")
        let chunk = Array("10000\r\n".utf8) + [UInt8](repeating: 0x7A, count: 0x10000) + Array("\r\n".utf8)
        do {
            for _ in 0..<16 { try large.send(chunk) }
            try large.send("0\r\n\r\nGET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        } catch {}  // the server may have closed already
        let after = (try? large.readToEnd()) ?? []
        XCTAssertFalse(String(decoding: after, as: UTF8.self).contains("ok"), "no second response after 1 MiB of unread body")
    }
}
