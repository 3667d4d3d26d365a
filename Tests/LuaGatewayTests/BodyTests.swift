import XCTest

/// SPEC 1.1: every kind of body, and `close` exactly once.
final class BodyTests: XCTestCase {
    static let scripts = [
        "string.lua": #"return function(e, sr) sr("200 OK", {{"Content-Type", "text/plain"}}); return "whole" end"#,
        "array.lua": #"return function(e, sr) sr(200, {}); return {"a", "b", "", "c"} end"#,
        "iterator.lua": #"""
            return function(e, sr)
              sr("200 OK", {})
              local i = 0
              return function() i = i + 1; if i <= 3 then return "part" .. i .. ";" end end
            end
            """#,
        "generator.lua": #"""
            return function(e, sr)
              sr("200 OK", {})
              return coroutine.wrap(function()
                for i = 1, 3 do coroutine.yield("g" .. i) end
                coroutine.yield("")
              end)
            end
            """#,
        "empty.lua": #"return function(e, sr) sr("200 OK", {}) end"#,
        "file.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "application/octet-stream"}})
              return e["wsgi.file_wrapper"](e.QUERY_STRING)
            end
            """#,
        "closing.lua": #"""
            local closes = 0
            return function(e, sr)
              if e.PATH_INFO == "/count" then sr("200 OK", {}); return tostring(closes) end
              sr("200 OK", {})
              local body = setmetatable({}, { __call = function(self)
                self.n = (self.n or 0) + 1
                if e.QUERY_STRING == "fail" and self.n == 2 then error("boom") end
                if e.QUERY_STRING == "forever" then return string.rep("x", 65536) end
                if self.n <= 2 then return "c" .. self.n end
              end })
              body.close = function() closes = closes + 1 end
              return body
            end
            """#,
        "mtclose.lua": #"""
            local closes = 0
            return function(e, sr)
              if e.PATH_INFO == "/count" then sr("200 OK", {}); return tostring(closes) end
              sr("200 OK", {})
              return setmetatable({"x", "y"}, { __close = function() closes = closes + 1 end })
            end
            """#,
    ]

    func testStringBodyGetsContentLength() throws {
        let server = try TestServer(Self.scripts)
        let response = try server.get("/string")
        XCTAssertEqual(response.code, 200)
        XCTAssertEqual(response.text, "whole")
        XCTAssertEqual(response.header("Content-Length"), "5")
        XCTAssertEqual(response.header("Content-Type"), "text/plain")
        XCTAssertNotNil(response.header("Date"))
        XCTAssertEqual(response.header("Server"), "luagw/0.1.0")
    }

    func testArrayBodyIsJoined() throws {
        let server = try TestServer(Self.scripts)
        let response = try server.get("/array")
        XCTAssertEqual(response.statusLine, "HTTP/1.1 200 OK")
        XCTAssertEqual(response.text, "abc")
        XCTAssertEqual(response.header("Content-Length"), "3")
    }

    func testIteratorIsStreamedChunked() throws {
        let server = try TestServer(Self.scripts)
        let response = try server.get("/iterator")
        XCTAssertEqual(response.header("Transfer-Encoding"), "chunked")
        XCTAssertNil(response.header("Content-Length"))
        XCTAssertEqual(response.text, "part1;part2;part3;")
    }

    func testCoroutineWrapGenerator() throws {
        let server = try TestServer(Self.scripts)
        let response = try server.get("/generator")
        XCTAssertEqual(response.text, "g1g2g3")
    }

    func testNilBodyIsEmpty() throws {
        let server = try TestServer(Self.scripts)
        let response = try server.get("/empty")
        XCTAssertEqual(response.code, 200)
        XCTAssertEqual(response.header("Content-Length"), "0")
        XCTAssertEqual(response.body, [])
    }

    func testFileWrapperSendsTheFile() throws {
        let server = try TestServer(Self.scripts)
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let path = server.directory.appendingPathComponent("_data.bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let client = try server.client()
        let response = try client.request("GET /file?\(path) HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(response.header("Content-Length"), "300000")
        XCTAssertEqual(response.body, bytes)
        // The connection stays usable after a sendfile body.
        XCTAssertEqual(try client.request("GET /string HTTP/1.1\r\nHost: t\r\n\r\n").text, "whole")
    }

    func testCloseIsCalledOnceAfterTheLastChunk() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 1, queue: 8))
        XCTAssertEqual(try server.get("/closing").text, "c1c2")
        XCTAssertEqual(try server.get("/closing/count").text, "1")
        XCTAssertEqual(try server.get("/mtclose").text, "xy")
        XCTAssertEqual(try server.get("/mtclose/count").text, "1")
    }

    func testCloseIsCalledOnError() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 1, queue: 8))
        let client = try server.client()
        try client.send("GET /closing?fail HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client.readToEnd()  // headers were sent: the response ends abnormally
        XCTAssertEqual(try server.get("/closing/count").text, "1")
    }

    func testCloseIsCalledWhenTheClientGoesAway() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 1, queue: 8))
        do {
            let client = try server.client()
            try client.send("GET /closing?forever HTTP/1.1\r\nHost: t\r\n\r\n")
            try client.fill()
        }  // the client closes its socket while the stream is blocked on a full socket
        try waitUntil("the body's close to run") { try server.get("/closing/count").text == "1" }
    }
}
