import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 5: limits on what clients send and how long they take; each answered with its
/// status while the server goes on serving others, and nothing left behind.
final class LimitsTests: XCTestCase {
    static let scripts = [
        "ok.lua": #"return function(e, sr) sr("200 OK", {}); return "ok" end"#,
        "read.lua": #"""
            return function(e, sr)
              local ok, body = pcall(e["wsgi.input"].read, e["wsgi.input"])
              sr("200 OK", {})
              return tostring(ok) .. ":" .. tostring(body)
            end
            """#,
        "echo.lua": #"return function(e, sr) local b = e["wsgi.input"]:read(); sr("200 OK", {}); return b end"#,
    ]

    func makeServer(_ limits: RequestLimits) throws -> TestServer {
        try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 4, queue: 8), limits: limits)
    }

    /// Connections the server holds, and states lent out, once things settle (a closed
    /// connection lingers up to 2 s for its client's close).
    func assertNothingLeaks(_ server: TestServer, file: StaticString = #filePath, line: UInt = #line) {
        waitUntil(file: file, line: line, "every connection closed and every state given back") {
            server.openConnections == 0 && server.busyStates == 0
        }
    }

    func rawStatus(_ client: RawClient) throws -> String {
        String(decoding: try client.readToEnd(), as: UTF8.self).components(separatedBy: "\r\n")[0]
    }

    func testLongTargetGets414() throws {
        let server = try makeServer(RequestLimits(maxTargetBytes: 1000))
        do {
            let client = try server.client()
            try client.send("GET /ok?\(String(repeating: "a", count: 1200)) HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(try rawStatus(client), "HTTP/1.1 414 URI Too Long")
        }
        XCTAssertEqual(try server.get("/ok?\(String(repeating: "a", count: 900))").text, "ok")
        assertNothingLeaks(server)
    }

    func testTooManyOrTooLargeHeadersGet431() throws {
        let server = try makeServer(RequestLimits(maxHeaderBytes: 4096, maxHeaderCount: 20))
        for headers in [(0..<25).map { "X-\($0): v\r\n" }.joined(), "X-Big: \(String(repeating: "b", count: 5000))\r\n",
                        "X-Huge: \(String(repeating: "b", count: 100_000))\r\n"] {
            let client = try server.client()
            try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\(headers)\r\n")
            XCTAssertEqual(try rawStatus(client), "HTTP/1.1 431 Request Header Fields Too Large")
        }
        XCTAssertEqual(try server.get("/ok", headers: "X-Fine: 1\r\n").text, "ok")
        assertNothingLeaks(server)
    }

    func testDeclaredLargeBodyGets413AtOnce() throws {
        let server = try makeServer(RequestLimits(maxBodyBytes: 1000))
        let client = try server.client()
        let response = try client.request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
        XCTAssertEqual(response.code, 413)
        XCTAssertEqual(response.text, "Content Too Large: the body is 5000 bytes, more than --max-body (1000)\n", "which limit, which flag")
        XCTAssertTrue(try client.isClosedByServer())
        XCTAssertEqual(try server.client().request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n\(String(repeating: "x", count: 1000))").body.count, 1000)
        assertNothingLeaks(server)
    }

    func testStreamedLargeBodyGets413() throws {
        let server = try makeServer(RequestLimits(maxBodyBytes: 1000))
        let client = try server.client()
        let chunk = String(repeating: "y", count: 600)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.code, 413)
        XCTAssertTrue(try client.isClosedByServer())
        XCTAssertEqual(try server.get("/ok").text, "ok")
        assertNothingLeaks(server)
    }

    func testIdleKeptAliveConnectionIsClosed() throws {
        let server = try makeServer(RequestLimits(keepAliveTimeout: 0.3))
        let client = try server.client()
        XCTAssertEqual(try client.request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text, "ok")
        let start = Date()
        XCTAssertTrue(try client.isClosedByServer())
        XCTAssertLessThan(Date().timeIntervalSince(start), 4.5, "closed by the 0.3 s limit, before the default 5 s")
        assertNothingLeaks(server)
    }

    func testSlowHeadIsCutOffWhileOthersAreServed() throws {
        let server = try makeServer(RequestLimits(headerTimeout: 0.4))
        let slow = try server.client()
        try slow.send("GET /ok HTTP/1.1\r\nHost:")
        for _ in 0..<5 {
            XCTAssertEqual(try server.get("/ok").text, "ok")
            Thread.sleep(forTimeInterval: 0.05)
        }
        try? slow.send(" t\r\n")  // a byte now and then does not extend the deadline
        XCTAssertEqual(try rawStatus(slow), "HTTP/1.1 408 Request Timeout")
        assertNothingLeaks(server)
    }

    func testStalledBodyFailsTheRead() throws {
        let server = try makeServer(RequestLimits(bodyTimeout: 0.3))
        let client = try server.client()
        try client.send("POST /read HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        let response = try client.readResponse()
        XCTAssertEqual(response.text, "false:wsgi.input: the client stopped sending the body (timed out)")
        XCTAssertTrue(try client.isClosedByServer())
        XCTAssertEqual(try server.get("/ok").text, "ok")
        assertNothingLeaks(server)
    }

    func testConnectionCapAnswers503() throws {
        let server = try makeServer(RequestLimits(maxConnections: 2))
        let first = try server.client(), second = try server.client()
        XCTAssertEqual(try first.request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text, "ok")
        XCTAssertEqual(try second.request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text, "ok")
        let third = try server.client()
        XCTAssertEqual(try rawStatus(third), "HTTP/1.1 503 Service Unavailable")
        XCTAssertEqual(try first.request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text, "ok", "the others go on")
    }
}
