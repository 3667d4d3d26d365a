import XCTest

/// Issue 8: the rules of RFC 9110/9112 a server owes, each as raw bytes over a real socket.
/// Every application answer carries `X-App: 1`, so a refusal is known never to have reached Lua.
final class RequestRulesTests: XCTestCase {
    static let scripts = [
        "echo.lua": #"""
            return function(e, sr)
              local body = e["wsgi.input"]:read()
              sr("200 OK", { { "X-App", "1" } })
              return table.concat({ e.REQUEST_METHOD, e.SERVER_NAME, e.SERVER_PORT, e.QUERY_STRING,
                e.HTTP_X_TRAIL or "-", e["luagw.request_id"], body }, "|")
            end
            """#,
    ]

    private func refusal(_ raw: String, _ code: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send(raw)
        let response = try client.readResponse()
        XCTAssertEqual(response.code, code, raw, file: file, line: line)
        XCTAssertNil(response.header("X-App"), "reached Lua: \(raw)", file: file, line: line)
        XCTAssertEqual(response.header("Connection"), "close", raw, file: file, line: line)
        XCTAssertTrue(try client.isClosedByServer(), "kept open: \(raw)", file: file, line: line)
    }

    private func served(_ raw: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let server = try TestServer(Self.scripts)
        let response = try server.client().request(raw)
        XCTAssertEqual(response.code, 200, raw, file: file, line: line)
        XCTAssertEqual(response.header("X-App"), "1", file: file, line: line)
        return response.text.components(separatedBy: "|")
    }

    // 1. Host

    func testHTTP11WithoutOneValidHostIs400() throws {
        try refusal("GET /echo HTTP/1.1\r\n\r\n", 400)
        try refusal("GET /echo HTTP/1.1\r\nHost: localhost\r\nHost: evil.example.com\r\n\r\n", 400)
        for host in ["a b", "a/b", "x:8x", "user@host", "a, b", "[::1", "a\u{7F}"] {
            try refusal("GET /echo HTTP/1.1\r\nHost: \(host)\r\n\r\n", 400)
        }
        try refusal("PUT s://]ufd/: HTTP/1.1\r\nHost: a\r\n\r\n", 400)
    }

    func testMissingHostIsRefusedBeforeTheBodyArrives() throws {
        // The body is never sent: the answer must not wait for it.
        try refusal("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n", 400)
    }

    func testValidHostsAndHTTP10WithoutHost() throws {
        XCTAssertEqual(try served("GET /echo HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")[1...2], ["::1", "8080"])
        XCTAssertEqual(try served("GET /echo HTTP/1.1\r\nHost: a.b_c-d~e:\r\n\r\n")[1...2], ["a.b_c-d~e", "80"])
        XCTAssertEqual(try served("GET /echo HTTP/1.1\r\nHost: \r\n\r\n")[1], "")
        XCTAssertEqual(try served("GET /echo HTTP/1.0\r\n\r\n")[1], "127.0.0.1")
        // absolute-form: the target's authority, not Host (RFC 9112 §3.2.2)
        XCTAssertEqual(try served("GET http://example.org:81/echo?q HTTP/1.1\r\nHost: other\r\n\r\n")[1...3],
                       ["example.org", "81", "q"])
    }

    // 2. HTTP/1.0 and Transfer-Encoding

    func testHTTP10ChunkedRequestClosesTheConnection() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                        + "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.text.components(separatedBy: "|").last, "abc")
        XCTAssertNotEqual(response.header("Connection"), "keep-alive")
        XCTAssertTrue(try client.isClosedByServer(), "the request pipelined behind it was served")
    }

    // 3. Transfer codings

    func testTransferCodingsOtherThanAFinalChunked() throws {
        let post = "POST /echo HTTP/1.1\r\nHost: a\r\n"
        let cases = [
            ("Transfer-Encoding: foo\r\n\r\nabc", 400),
            ("Transfer-Encoding: gzip\r\n\r\nabc", 400),
            ("Transfer-Encoding: foo, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 501),
            ("Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
            ("Transfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc", 400),
            ("Transfer-Encoding:\r\nContent-Length: 5\r\n\r\nhello" + "GET /echo HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
            ("Content-Length: -5\r\n\r\n", 400),
            ("Content-Length: 99999999999999999999\r\n\r\n", 400),
        ]
        for (rest, code) in cases { try refusal(post + rest, code) }
    }

    func testChunkedIsCaseInsensitiveAndMayCarryParameters() throws {
        XCTAssertEqual(try served("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nhi\r\n0\r\n\r\n").last, "hi")
    }

    // 4. Versions

    func testOtherMajorVersionsGet505() throws {
        for version in ["HTTP/2.0", "HTTP/3.0", "HTTP/3.1", "HTTP/0.9"] {
            try refusal("GET /echo \(version)\r\nHost: a\r\n\r\n", 505)
        }
        try refusal("GET /echo HTTP/1.10\r\nHost: a\r\n\r\n", 400)
        try refusal("GET /echo http/1.1\r\nHost: a\r\n\r\n", 400)
    }

    func testHigherMinorVersionIsServedAsHTTP11() throws {
        let server = try TestServer(Self.scripts)
        let response = try server.client().request("GET /echo HTTP/1.7\r\nHost: a\r\n\r\n")
        XCTAssertEqual(response.statusLine, "HTTP/1.1 200 OK")
    }

    // 5. Methods

    func testAnyTokenIsAMethod() throws {
        for method in ["FOO", "BREW", "-BLARGH", "PROPFIND", "PURGE", "M-SEARCH", "get"] {
            XCTAssertEqual(try served("\(method) /echo HTTP/1.1\r\nHost: a\r\n\r\n").first, method)
        }
        try refusal("GE(T /echo HTTP/1.1\r\nHost: a\r\n\r\n", 400)
        try refusal("GET  /echo HTTP/1.1\r\nHost: a\r\n\r\n", 400)
        try refusal("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", 501)
    }

    // 6. 100-continue

    func testNoContinueAfterTheFinalHead() throws {
        let server = try TestServer(["early.lua": #"""
            return function(e, sr)
              local write = sr("200 OK", {})
              write("head first;")
              return { e["wsgi.input"]:read() }
            end
            """#])
        let client = try server.client()
        try client.send("POST /early HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let head = try client.read(through: "\r\n\r\n")
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK"), head)
        try client.send("body")
        // The chunked body must parse: a stray "HTTP/1.1 100 Continue" in it would break the framing.
        let rest = try client.read(through: "0\r\n\r\n")
        XCTAssertFalse(rest.contains("100 Continue"), rest)
        XCTAssertTrue(rest.contains("head first;") && rest.contains("body"), rest)
    }

    func testNoContinueToHTTP10() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        try client.send("ok")
        let response = try client.readResponse()
        XCTAssertEqual(response.statusLine, "HTTP/1.0 200 OK")
        XCTAssertEqual(response.text.components(separatedBy: "|").last, "ok")
    }

    // 7. Whitespace around field values

    func testOptionalWhitespaceIsStrippedOnBothSides() throws {
        let fields = try served("POST /echo HTTP/1.1\r\nHost: x \r\nX-Trail: \t trailing  \r\nX-Request-Id: abc \r\n"
                                + "Content-Length:\t4\t \r\n\r\nbody")
        XCTAssertEqual(fields[1], "x")
        XCTAssertEqual(fields[4], "trailing")
        XCTAssertEqual(fields[5], "abc")
        XCTAssertEqual(fields[6], "body")
    }

    func testFieldSyntaxErrors() throws {
        for field in ["X-Bad : v", "X-Fold: a\r\n b", "X-Nul: a\u{0}b", "X-CR: a\rb"] {
            try refusal("GET /echo HTTP/1.1\r\nHost: a\r\n\(field)\r\n\r\n", 400)
        }
        try refusal("GET /echo HTTP/1.1\nHost: a\n\n", 400)
    }

    // 8. Chunked bodies

    func testChunkExtensionsWithWhitespace() throws {
        let body = "4 ; q=1\r\nabcd\r\n5; some; parameters=stuff\r\nefghi\r\n5;a = b\r\njklmn\r\n1;x=\"q \\\" d\"\r\no\r\n0\r\nTrailer-Field: x\r\n\r\n"
        let fields = try served("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        XCTAssertEqual(fields.last, "abcdefghijklmno")
    }

    func testMalformedChunksAre400AndTheApplicationLearnsWhy() throws {
        let cases = ["zz\r\nab\r\n0\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n", "\r\nab\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n",
                     "5\r\nhelloXX0\r\n\r\n", "10000000000000000\r\nab\r\n", "5 \r\nhello\r\n0\r\n\r\n", "5;\r\nhello\r\n0\r\n\r\n",
                     "2\r\nab\r\n0\r\nBad Trailer\r\n\r\n"]
        for chunks in cases {
            try refusal("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks, 400)
        }
        let server = try TestServer(["catch.lua": #"""
            return function(e, sr)
              local ok, err = pcall(e["wsgi.input"].read, e["wsgi.input"])
              sr("200 OK", {})
              return tostring(ok) .. " " .. err
            end
            """#])
        let response = try server.client().request("POST /catch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nzz\r\n")
        XCTAssertEqual(response.text, "false wsgi.input: the request body's chunked coding is malformed: invalid chunk size or extension")
        XCTAssertEqual(response.header("Connection"), "close")
    }

    // 9. Targets

    func testAFragmentIsNotPartOfTheQuery() throws {
        let server = try TestServer(["q.lua": #"return function(e, sr) sr("200 OK", {}); return e.QUERY_STRING .. "|" .. e.REQUEST_URI end"#])
        XCTAssertEqual(try server.get("/q?page=1#posts-17408").text, "page=1|/q?page=1")
        XCTAssertEqual(try server.get("/q#only").text, "|/q")
    }

    func testTargetSyntax() throws {
        try refusal("GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n", 400)
        try refusal("GET echo HTTP/1.1\r\nHost: a\r\n\r\n", 400)
        try refusal("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400)
        try refusal("GET http://user@a/echo HTTP/1.1\r\nHost: a\r\n\r\n", 400)
    }
}
