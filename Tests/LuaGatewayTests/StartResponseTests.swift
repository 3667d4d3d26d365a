import XCTest

/// SPEC 1.2: start_response's rules, and the 500s that break them.
final class StartResponseTests: XCTestCase {
    static func app(_ body: String) -> String {
        "return function(environ, start_response)\n\(body)\nend"
    }

    static let scripts = [
        "integer.lua": app(#"start_response(404, {}); return "gone""#),
        "unknown.lua": app(#"start_response(599, {}); return "x""#),
        "code.lua": app(#"start_response(tonumber(environ.QUERY_STRING), {}); return "x""#),
        "map.lua": app(#"start_response("201 Created", { ["X-One"] = "1", ["Content-Type"] = "text/x" }); return "m""#),
        "pairs.lua": app(#"start_response("200 OK", { {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"X-N", 7} }); return "p""#),
        "badstatus.lua": app(#"start_response("OK", {}); return "x""#),
        "tablestatus.lua": app(#"start_response({}, {}); return "x""#),
        "crlf.lua": app(#"start_response("200 OK", { {"X-Evil", "a\r\nSet-Cookie: pwned=1"} }); return "x""#),
        "nul.lua": app(#"start_response("200 OK", { {"X-Evil", "a\0b"} }); return "x""#),
        "badname.lua": app(#"start_response("200 OK", { {"Bad Name", "v"} }); return "x""#),
        "hop.lua": app(#"start_response("200 OK", { {"Transfer-Encoding", "chunked"} }); return "x""#),
        "connection.lua": app(#"start_response("200 OK", { {"connection", "close"} }); return "x""#),
        "twice.lua": app(#"start_response("200 OK", {}); start_response("200 OK", {}); return "x""#),
        "excinfo.lua": app(#"""
            start_response("200 OK", {{"X-First", "1"}})
            local ok, err = pcall(error, "oops")
            start_response("503 Service Unavailable", {{"X-Second", "2"}}, err)
            return "replaced"
            """#),
        "excafter.lua": app(#"""
            local write = start_response("200 OK", {})
            return coroutine.wrap(function()
              coroutine.yield("sent")
              start_response("500 Internal Server Error", {}, "late failure")
            end)
            """#),
        "write.lua": app(#"""
            local write = start_response("200 OK", {{"Content-Type", "text/plain"}})
            write("one,")
            write("")
            write("two,")
            return {"three"}
            """#),
        "none.lua": app(#"return "no start_response""#),
        "deferred.lua": app(#"""
            start_response("200 OK", {})
            return coroutine.wrap(function() error("fails before any chunk") end)
            """#),
        "lazy.lua": app(#"""
            return coroutine.wrap(function()
              start_response("202 Accepted", {})
              coroutine.yield("late start")
            end)
            """#),
    ]

    var server: TestServer!

    override func setUpWithError() throws {
        server = try TestServer(Self.scripts)
    }

    func testIntegerStatusGetsItsReasonPhrase() throws {
        XCTAssertEqual(try server.get("/integer").statusLine, "HTTP/1.1 404 Not Found")
        XCTAssertEqual(try server.get("/unknown").statusLine, "HTTP/1.1 599 Unknown")
    }

    func testEveryRegisteredCodeHasItsPhrase() throws {
        let registered = [207: "Multi-Status", 226: "IM Used", 407: "Proxy Authentication Required",
                          423: "Locked", 508: "Loop Detected", 511: "Network Authentication Required"]
        for (code, phrase) in registered {
            XCTAssertEqual(try server.get("/code?\(code)").statusLine, "HTTP/1.1 \(code) \(phrase)")
        }
    }

    func testHeadersAsMapAndAsPairs() throws {
        let map = try server.get("/map")
        XCTAssertEqual(map.code, 201)
        XCTAssertEqual(map.header("X-One"), "1")
        XCTAssertEqual(map.header("Content-Type"), "text/x")
        let pairs = try server.get("/pairs")
        XCTAssertEqual(pairs.headers("Set-Cookie"), ["a=1", "b=2"])
        XCTAssertEqual(pairs.header("X-N"), "7")
    }

    func testViolationsAreLuaErrorsAnd500() throws {
        for path in ["/badstatus", "/tablestatus", "/crlf", "/nul", "/badname", "/hop", "/connection", "/twice", "/none", "/deferred"] {
            let response = try server.get(path)
            XCTAssertEqual(response.code, 500, path)
            XCTAssertNil(response.header("Set-Cookie"), path)
            XCTAssertNil(response.header("X-Evil"), path)
            let id = try XCTUnwrap(response.header("X-Request-Id"), path)
            XCTAssertEqual(response.text, "Internal Server Error (request id \(id): the log says more)\n", path)
        }
    }

    func testExcInfoBeforeHeadersReplacesThem() throws {
        let response = try server.get("/excinfo")
        XCTAssertEqual(response.code, 503)
        XCTAssertEqual(response.header("X-Second"), "2")
        XCTAssertNil(response.header("X-First"))
        XCTAssertEqual(response.text, "replaced")
    }

    func testExcInfoAfterHeadersEndsTheResponseAbnormally() throws {
        let client = try server.client()
        try client.send("GET /excafter HTTP/1.1\r\nHost: t\r\n\r\n")
        let raw = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(raw.hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertTrue(raw.contains("4\r\nsent\r\n"))
        XCTAssertFalse(raw.hasSuffix("0\r\n\r\n"), "no terminating chunk: the client can tell")
    }

    func testWriteSendsAtOnceThenTheBodyFollows() throws {
        let response = try server.get("/write")
        XCTAssertEqual(response.header("Transfer-Encoding"), "chunked")
        XCTAssertEqual(response.text, "one,two,three")
    }

    func testStartResponseInsideTheGenerator() throws {
        let response = try server.get("/lazy")
        XCTAssertEqual(response.code, 202)
        XCTAssertEqual(response.text, "late start")
    }
}
