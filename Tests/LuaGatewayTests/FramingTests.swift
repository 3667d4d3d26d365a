import XCTest

/// SPEC 1.3 and 1.4: framing by the server, HEAD, bodiless statuses, and errors.
final class FramingTests: XCTestCase {
    static let scripts = [
        "short.lua": #"return function(e, sr) sr("200 OK", {{"Content-Length", "10"}}); return "abc" end"#,
        "long.lua": #"return function(e, sr) sr("200 OK", {{"Content-Length", "3"}}); return "abcdef" end"#,
        "longstream.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Length", "5"}})
              local n = 0
              return function() n = n + 1; if n <= 3 then return "abc" end end
            end
            """#,
        "stream.lua": #"""
            return function(e, sr)
              sr("200 OK", {})
              local n = 0
              return function() n = n + 1; if n <= 2 then return "s" .. n end end
            end
            """#,
        "nocontent.lua": #"return function(e, sr) sr(204, {}); return "ignored" end"#,
        "notmodified.lua": #"return function(e, sr) sr(304, {}); return "ignored" end"#,
        "method.lua": #"return function(e, sr) sr("200 OK", {}); return "method=" .. e.REQUEST_METHOD end"#,
        "fail.lua": #"return function(e, sr) error("kaboom") end"#,
        "failobj.lua": #"return function(e, sr) error({code = 1}) end"#,
        "failafter.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Length", "100"}})
              local n = 0
              return function() n = n + 1; if n == 1 then return "partial" end; error("midway") end
            end
            """#,
        "datesrv.lua": #"return function(e, sr) sr("200 OK", {{"Date", "yesterday"}, {"Server", "mine"}}); return "" end"#,
    ]

    func testShortBodyClosesTheConnection() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("GET /short HTTP/1.1\r\nHost: t\r\n\r\n")
        let raw = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(raw.contains("Content-Length: 10\r\n"))
        XCTAssertTrue(raw.hasSuffix("\r\n\r\nabc"))
    }

    func testLongBodyIsCut() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        XCTAssertEqual(try client.request("GET /long HTTP/1.1\r\nHost: t\r\n\r\n").text, "abc")
        XCTAssertEqual(try client.request("GET /longstream HTTP/1.1\r\nHost: t\r\n\r\n").text, "abcab")
        XCTAssertEqual(try client.request("GET /method HTTP/1.1\r\nHost: t\r\n\r\n").text, "method=GET", "the connection is still in step")
    }

    func testHeadSendsTheHeadersOfGet() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        let head = try client.request("HEAD /method HTTP/1.1\r\nHost: t\r\n\r\n", bodyless: true)
        XCTAssertEqual(head.header("Content-Length"), "11")  // "method=HEAD"
        let stream = try client.request("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n", bodyless: true)
        XCTAssertEqual(stream.code, 200)
        XCTAssertEqual(try client.request("GET /method HTTP/1.1\r\nHost: t\r\n\r\n").text, "method=GET", "no body bytes were sent for HEAD")
    }

    func testBodilessStatuses() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        let noContent = try client.request("GET /nocontent HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(noContent.code, 204)
        XCTAssertNil(noContent.header("Content-Length"))
        let notModified = try client.request("GET /notmodified HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(notModified.code, 304)
        XCTAssertNil(notModified.header("Content-Length"))
        XCTAssertEqual(try client.request("GET /method HTTP/1.1\r\nHost: t\r\n\r\n").text, "method=GET")
    }

    func testHTTP10StreamIsCloseDelimited() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("GET /stream HTTP/1.0\r\n\r\n")
        let raw = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(raw.hasPrefix("HTTP/1.0 200 OK\r\n"))
        XCTAssertFalse(raw.contains("Transfer-Encoding"))
        XCTAssertTrue(raw.hasSuffix("\r\n\r\ns1s2"))
    }

    func testLuaErrorIs500AndTheServerGoesOn() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        let failed = try client.request("GET /fail HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(failed.code, 500)
        XCTAssertTrue(failed.text.hasPrefix("Internal Server Error (request id "), failed.text)
        XCTAssertEqual(try client.request("GET /failobj HTTP/1.1\r\nHost: t\r\n\r\n").code, 500)
        XCTAssertEqual(try client.request("GET /method HTTP/1.1\r\nHost: t\r\n\r\n").text, "method=GET")
    }

    func testDevelopmentModeShowsTheTraceback() throws {
        let server = try TestServer(Self.scripts, development: true)
        let failed = try server.get("/fail")
        XCTAssertEqual(failed.code, 500)
        XCTAssertTrue(failed.text.contains("fail.lua:1: kaboom"), failed.text)
        XCTAssertTrue(failed.text.contains("stack traceback"), failed.text)
        XCTAssertTrue(try server.get("/failobj").text.contains("(error object is a table value)"))
    }

    func testErrorAfterHeadersClosesShortOfContentLength() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("GET /failafter HTTP/1.1\r\nHost: t\r\n\r\n")
        let raw = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(raw.contains("Content-Length: 100"))
        XCTAssertTrue(raw.hasSuffix("\r\n\r\npartial"))
    }

    func testApplicationDateAndServerAreKept() throws {
        let server = try TestServer(Self.scripts)
        let response = try server.get("/datesrv")
        XCTAssertEqual(response.headers("Date"), ["yesterday"])
        XCTAssertEqual(response.headers("Server"), ["mine"])
    }
}
