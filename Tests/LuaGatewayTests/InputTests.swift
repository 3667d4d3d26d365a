import XCTest

/// SPEC 2.1: wsgi.input, streaming, 100-continue, and suspensions through coroutines.
final class InputTests: XCTestCase {
    static let scripts = [
        "echo.lua": #"return function(e, sr) local b = e["wsgi.input"]:read(); sr("200 OK", {}); return b end"#,
        "reads.lua": #"""
            return function(e, sr)
              local input = e["wsgi.input"]
              local out = {}
              out[#out + 1] = tostring(input:read(3))
              out[#out + 1] = tostring(input:readline())
              for line in input:lines() do out[#out + 1] = "[" .. line .. "]" end
              out[#out + 1] = tostring(input:read(5))
              out[#out + 1] = tostring(input:readline())
              out[#out + 1] = "<" .. input:read() .. ">"
              sr("200 OK", {})
              return table.concat(out, "|")
            end
            """#,
        "count.lua": Fixtures.countingUpload,
        "genread.lua": #"""
            return function(e, sr)
              sr("200 OK", {})
              local input = e["wsgi.input"]
              return coroutine.wrap(function()
                local inner = coroutine.wrap(function()
                  while true do
                    local line = input:readline()
                    if not line then return end
                    coroutine.yield(line:upper())
                  end
                end)
                while true do
                  local line = inner()
                  if not line then return end
                  coroutine.yield(line)
                end
              end)
            end
            """#,
        "ignore.lua": #"return function(e, sr) sr("200 OK", {}); return "ignored" end"#,
        "guarded.lua": #"""
            return function(e, sr)
              local ok, err = pcall(e["wsgi.input"].read, e["wsgi.input"])
              sr("200 OK", {})
              return tostring(ok) .. ":" .. tostring(err)
            end
            """#,
    ]

    func testReadCalls() throws {
        let server = try TestServer(Self.scripts)
        let body = "abcdef\nline2\nline3"
        let response = try server.client().request("POST /reads HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertEqual(response.text, "abc|def\n|[line2]|[line3]|nil|nil|<>")
    }

    func testReadingTheWholeBodyAfterAPartAndPastTheServersPieceSize() throws {
        // read() hands the body over in pieces of RequestRunner.wholeBodyPiece: 9 MiB makes three,
        // the first after a line was read; every byte must arrive once, in order.
        var body = Array("first line\n".utf8)
        for i in 0..<(9 << 20) { body.append(UInt8(ascii: "a") + UInt8(i % 26)) }
        let script = #"""
            return function(e, sr)
              local input = e["wsgi.input"]
              local line = input:readline()
              local rest = input:read()
              local sum = 0
              for i = 1, #rest, 4093 do sum = (sum + rest:byte(i) * i) % 1000000007 end
              sr(200, {})
              return line .. #rest .. " " .. sum .. " " .. tostring(input:read(1)) .. " " .. input:read("a"):len()
            end
            """#
        let server = try TestServer(["whole.lua": script])
        let client = try server.client()
        try client.send("POST /whole HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n")
        try client.send(body)
        let rest = body[11...]
        var sum = 0
        for i in stride(from: 1, through: rest.count, by: 4093) { sum = (sum + Int(rest[rest.startIndex + i - 1]) * i) % 1_000_000_007 }
        XCTAssertEqual(try client.readResponse().text, "first line\n\(rest.count) \(sum) nil 0")
    }

    func testAWholeBodyInManyPiecesArrivesByteForByte() throws {
        // Pieces gathered into the string's own block: with Content-Length (sized at once) and
        // chunked (grown as it comes), every byte in order, on one keep-alive connection.
        let body = (0..<(300 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n")
        for start in stride(from: 0, to: body.count, by: 50_000) { try client.send(Array(body[start..<min(start + 50_000, body.count)])) }
        XCTAssertEqual(try client.readResponse().body, body)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        for start in stride(from: 0, to: body.count, by: 70_000) {
            let chunk = body[start..<min(start + 70_000, body.count)]
            try client.send(String(chunk.count, radix: 16) + "\r\n")
            try client.send(Array(chunk) + Array("\r\n".utf8))
        }
        try client.send("0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().body, body)
    }

    func testChunkedRequestBody() throws {
        let server = try TestServer(Self.scripts)
        let response = try server.client().request(
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")
        XCTAssertEqual(response.text, "hello world")
    }

    func testExpectContinueIsAnsweredOnFirstRead() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try client.read(through: "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n")
        try client.send("ping")
        XCTAssertEqual(try client.readResponse().text, "ping")
    }

    func testAnIgnoredBodyIsNeverRequestedAndTheConnectionCloses() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        let response = try client.request("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(response.text, "ignored")
        XCTAssertTrue(try client.isClosedByServer())
    }

    func testUnreadBodyIsDrainedOnKeepAlive() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        XCTAssertEqual(try client.request("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello").text, "ignored")
        XCTAssertEqual(try client.request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok").text, "ok")
    }

    func testReadsInsideNestedCoroutineWrapGenerators() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        try client.send("POST /genread HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab\nc\r\n")
        server.waitForRunningRequests(1)  // the application runs, then is suspended waiting for the rest
        try client.send("3\r\nd\ne\r\n0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "AB\nCD\nE")
    }

    func testLargeStreamedUploadIsCounted() throws {
        let server = try TestServer(Self.scripts)
        let client = try server.client()
        let size = 8 * 1024 * 1024
        try client.send("POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: \(size)\r\n\r\n")
        let block = [UInt8](repeating: 120, count: 1 << 20)
        for _ in 0..<8 { try client.send(block) }
        XCTAssertEqual(try client.readResponse().text, String(size))
    }

    func testTruncatedBodyMakesTheReadRaise() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 1, queue: 4))
        let client = try server.client()
        try client.send("POST /guarded HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly-some")
        client.shutdownWrite()
        let response = try client.readResponse()
        XCTAssertTrue(response.text.hasPrefix("false:wsgi.input: the client closed the connection"), response.text)
        XCTAssertEqual(try server.get("/ignore").text, "ignored", "the state went back to the pool")
    }

    func testOtherRequestsAreServedWhileOneWaitsForItsBody() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 4, queue: 4))
        let slow = try server.client()
        try slow.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab")
        XCTAssertEqual(try server.get("/ignore").text, "ignored")
        try slow.send("cd")
        XCTAssertEqual(try slow.readResponse().text, "abcd")
    }
}
