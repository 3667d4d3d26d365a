import XCTest

/// SPEC 5: HTTP/1.1 and 1.0 as raw bytes: keep-alive, pipelining, close, malformed requests.
final class HTTPProtocolTests: XCTestCase {
    static let scripts = [
        "path.lua": #"return function(e, sr) sr("200 OK", {}); return e.PATH_INFO end"#,
        "slow.lua": #"""
            return function(e, sr)
              sr("200 OK", {})
              local n = 0
              return function() n = n + 1; if n <= 50 then return "." end end
            end
            """#,
    ]

    func testPipelinedResponsesComeInOrder() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        var batch = ""
        for i in 0..<20 {
            batch += (i % 3 == 1 ? "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n" : "GET /path/\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
        }
        try client.send(batch)
        for i in 0..<20 {
            let response = try client.readResponse()
            XCTAssertEqual(response.text, i % 3 == 1 ? String(repeating: ".", count: 50) : "/\(i)")
        }
    }

    func testPipelinedRequestsWithBodies() throws {
        let server = try TestServer(["echo.lua": #"return function(e, sr) local b = e["wsgi.input"]:read(); sr("200 OK", {}); return "<" .. b .. ">" end"#])
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabcPOST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\nGET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "<abc>")
        XCTAssertEqual(try client.readResponse().text, "<de>")
        XCTAssertEqual(try client.readResponse().text, "<>")
    }

    func testConnectionCloseIsHonoured() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        let response = try client.request("GET /path HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(try client.isClosedByServer())
    }

    func testHTTP10ClosesUnlessKeepAlive() throws {
        let server = try TestServer(Self.scripts)
        let plain = try server.client()
        XCTAssertEqual(try plain.request("GET /path/a HTTP/1.0\r\n\r\n").statusLine, "HTTP/1.0 200 OK")
        XCTAssertTrue(try plain.isClosedByServer())
        let kept = try server.client()
        let response = try kept.request("GET /path/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(response.header("Connection"), "keep-alive")
        XCTAssertEqual(try kept.request("GET /path/b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").text, "/b")
    }

    func testMalformedRequestsGet400AndNeverReachLua() throws {
        let server = try TestServer(["count.lua": #"local n = 0; return function(e, sr) n = n + 1; sr("200 OK", {}); return tostring(n) end"#],
                                    pool: .init(initial: 1, maximum: 1, queue: 4))
        for garbage in ["GARBAGE\r\n\r\n", "GET /count HTTP/1.1\r\nBad Header\r\n\r\n", "GET /count HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                        "GET /count HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "GET /co unt HTTP/1.1\r\n\r\n"] {
            let client = try server.client()
            try client.send(garbage)
            let raw = String(decoding: try client.readToEnd(), as: UTF8.self)
            XCTAssertTrue(raw.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(garbage.debugDescription): \(raw)")
        }
        XCTAssertEqual(try server.get("/count").text, "1", "no malformed request reached the application")
    }

    func testMalformedChunkedBodyFailsTheReadAndCloses() throws {
        let server = try TestServer(["echo.lua": #"""
            return function(e, sr)
              local ok, err = pcall(e["wsgi.input"].read, e["wsgi.input"])
              sr("200 OK", {})
              return tostring(ok)
            end
            """#])
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nzz\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.text, "false")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(try client.isClosedByServer())
    }

    func testGoodRequestBeforeAMalformedOneIsAnswered() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("GET /path/ok HTTP/1.1\r\nHost: t\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "/ok")
        XCTAssertEqual(try client.readResponse().code, 400)
    }

    func testUnsupportedVersionGets505() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("GET /path HTTP/2.0\r\nHost: t\r\n\r\n")
        let raw = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(raw.contains(" 505 ") || raw.contains(" 400 "), raw)
    }

    func testHalfCloseWhileAnUnreadBodyIsDrainedCloses() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        let response = try client.request("POST /path/p HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        XCTAssertEqual(response.text, "/p")
        client.shutdownWrite()
        XCTAssertTrue(try client.isClosedByServer())
    }

    func testHalfClosedClientStillGetsItsResponse() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("GET /path/x HTTP/1.1\r\nHost: t\r\n\r\n")
        client.shutdownWrite()
        XCTAssertEqual(try client.readResponse().text, "/x")
        XCTAssertTrue(try client.isClosedByServer())
    }
}
