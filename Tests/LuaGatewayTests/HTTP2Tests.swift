import Foundation
import NIOConcurrencyHelpers
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// HTTP/2 (SPEC 11): prior-knowledge h2c on a cleartext listener beside HTTP/1.1, ALPN h2 on
/// TLS; each stream a request with HTTP/2's environ, its body through `wsgi.input`, several at
/// once on one connection; `--max-streams` as SETTINGS_MAX_CONCURRENT_STREAMS. The client is curl,
/// or Python's h2 where curl cannot (several streams sent at once, the server's SETTINGS).
final class HTTP2Tests: XCTestCase {
    static let scripts = [
        "env.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return table.concat({ e.SERVER_PROTOCOL, e.REQUEST_METHOD, e.PATH_INFO, e.QUERY_STRING,
                                    tostring(e.HTTP_HOST), tostring(e.HTTP_X_TEST), tostring(e.HTTPS) }, " ")
            end
            """#,
        "echo.lua": #"""
            return function(e, sr)
              local body = e["wsgi.input"]:read("a")
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return { e.SERVER_PROTOCOL, " ", tostring(#body), " ", body:sub(1, 8) }
            end
            """#,
        // Waits (up to 20 s) until /set?NAME has run (NAME its query), then reads its body: answers
        // "released" only when the two are served at once.
        "await.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              local flags = luagw.shared.h2flags
              for _ = 1, 400 do
                if flags:get(e.QUERY_STRING) then break end
                luagw.sleep(0.05)
              end
              local body = e["wsgi.input"]:read("a")
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return (flags:get(e.QUERY_STRING) and "released " or "not released ") .. #body
            end
            """#,
        "set.lua": #"""
            return function(e, sr)
              require("luagw").shared.h2flags:set(e.QUERY_STRING, true)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return "set"
            end
            """#,
        // 100 chunks of 10000 bytes, noting how many it has produced.
        "produce.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              local i = 0
              return function()
                if i == 100 then return nil end
                i = i + 1
                luagw.shared.h2progress:set("n", i)
                return string.rep("x", 10000)
              end
            end
            """#,
        "progress.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return tostring(require("luagw").shared.h2progress:get("n"))
            end
            """#,
        // The response shape its query names: a status without a body, a body with a length, a stream.
        "shape.lua": #"""
            return function(e, sr)
              local q = e.QUERY_STRING
              if q == "204" or q == "304" then sr(q .. " X", {}) return "" end
              sr("200 OK", {{"Content-Type", "text/plain"}})
              if q == "stream" then
                local n = 0
                return function() n = n + 1 if n <= 3 then return "part" .. n .. ";" end end
              end
              return "twelve bytes"
            end
            """#,
        "file.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "application/octet-stream"}})
              return e["wsgi.file_wrapper"](e.QUERY_STRING)
            end
            """#,
    ]

    func testAGetOverH2CHasHTTP2sEnviron() throws {
        let server = try TestServer(Self.scripts)
        let authority = "127.0.0.1:\(server.port)"
        let curl = try Curl.run(["--http2-prior-knowledge", "-v", "-H", "X-Test: yes", "-w", "|%{http_version}",
                                 "http://\(authority)/env/more?q=1"])
        XCTAssertEqual(curl.out, "HTTP/2.0 GET /more q=1 \(authority) yes nil|2", curl.errors)
        XCTAssertFalse(curl.errors.lowercased().contains("< connection:"), "no hop-by-hop field on HTTP/2: \(curl.errors)")
        XCTAssertTrue(curl.errors.contains("< server: luagw/"), curl.errors)
    }

    /// A response's stream ends with its last bytes (or its head, when it has no body), and
    /// a streamed body's when the application's iterator ends: curl gets each whole.
    func testEachResponseShapeEndsItsStream() throws {
        let server = try TestServer(Self.scripts)
        let base = "http://127.0.0.1:\(server.port)/shape"
        let shapes: [(arguments: [String], expected: String)] = [
            (["-w", "%{http_code}|%{size_download}", "\(base)?204"], "204|0"),
            (["-w", "%{http_code}|%{size_download}", "\(base)?304"], "304|0"),
            (["-w", "|%{http_code}", "\(base)?length"], "twelve bytes|200"),
            (["-w", "|%{http_code}", "\(base)?stream"], "part1;part2;part3;|200"),
            (["-I", "-w", "%{http_code}|%{size_download}", "\(base)?length"], "200|0"),
        ]
        for shape in shapes {
            let curl = try Curl.run(["--http2-prior-knowledge", "-v"] + shape.arguments)
            XCTAssertEqual(curl.status, 0, curl.errors)
            XCTAssertTrue(curl.out.hasSuffix(shape.expected), "\(shape.arguments): \(curl.out)")
        }
        let head = try Curl.run(["--http2-prior-knowledge", "-I", "\(base)?length"])
        XCTAssertTrue(head.out.contains("content-length: 12"), "HEAD keeps the GET's length: \(head.out)")
    }

    func testHTTP11OnTheSameCleartextPortStillWorks() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertTrue(try server.get("/env").text.hasPrefix("HTTP/1.1 GET"))
        let curl = try Curl.run(["--http1.1", "-w", "|%{http_version}", "http://127.0.0.1:\(server.port)/env"])
        XCTAssertEqual(curl.out, "HTTP/1.1 GET   127.0.0.1:\(server.port) nil nil|1.1")
        // `Upgrade: h2c` (curl's --http2 on http:) is not honoured: the request is served over HTTP/1.1.
        let upgrade = try Curl.run(["--http2", "-w", "|%{http_version}", "http://127.0.0.1:\(server.port)/env"])
        XCTAssertEqual(upgrade.out, "HTTP/1.1 GET   127.0.0.1:\(server.port) nil nil|1.1", upgrade.errors)
    }

    func testARequestBodyIsReadThroughWSGIInput() throws {
        let server = try TestServer(Self.scripts)
        let scratch = try ScratchDirectory("luagw-h2-body")
        defer { scratch.remove() }
        // Larger than HTTP/2's initial 64 KiB window: the body needs the server's WINDOW_UPDATEs.
        let body = String(repeating: "abcdefgh", count: 40_000)
        try scratch.write("body", body)
        let path = scratch.url.appendingPathComponent("body").path
        let curl = try Curl.run(["--http2-prior-knowledge", "--data-binary", "@\(path)", "http://127.0.0.1:\(server.port)/echo"])
        XCTAssertEqual(curl.out, "HTTP/2.0 \(body.utf8.count) abcdefgh", curl.errors)
    }

    func testStreamsOfOneConnectionAreServedAtOnce() throws {
        let server = try TestServer(Self.scripts)
        // /await holds its stream until /set, sent after it on the same connection, has run.
        let result = try H2Client.get(port: server.port, paths: ["/await?streams", "/set?streams"])
        XCTAssertEqual(result.answers["/await?streams"], ["status": "200", "body": "released 0"])
        XCTAssertEqual(result.answers["/set?streams"], ["status": "200", "body": "set"])
        XCTAssertEqual(result.max_streams, 100, "--max-streams' default")
    }

    func testMaxStreamsIsTheAdvertisedConcurrencyLimit() throws {
        var limits = RequestLimits()
        limits.maxStreams = 7
        let server = try TestServer(Self.scripts, limits: limits)
        let result = try H2Client.get(port: server.port, paths: ["/set?limit"])
        XCTAssertEqual(result.max_streams, 7)
        XCTAssertEqual(result.answers["/set?limit"]?["body"], "set")
    }

    /// `--max-connections` counts an HTTP/2 connection once: its streams do not take the
    /// slots of other clients, and an idle one holds its slot as an HTTP/1.1 one does.
    func testMaxConnectionsCountsAnHTTP2ConnectionOnce() throws {
        var limits = RequestLimits()
        limits.maxConnections = 2
        let server = try TestServer(Self.scripts, limits: limits)
        // Four streams at once on one connection (/await waits for /set): all served.
        let result = try H2Client.get(port: server.port, paths: ["/await?cap", "/env", "/env/a", "/set?cap"])
        XCTAssertEqual(result.answers["/await?cap"]?["body"], "released 0")
        XCTAssertEqual(result.answers["/env/a"]?["status"], "200", "\(result.answers)")
        waitUntil("the HTTP/2 client's connection closed") { server.openConnections == 0 }
        // An idle HTTP/2 connection (preface and SETTINGS, the server's SETTINGS read back) and an
        // HTTP/1.1 one fill the two slots: a third client gets 503.
        let idle = try server.client()
        try idle.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0])
        XCTAssertTrue(try idle.fill(), "the server answers the preface with its SETTINGS")
        let second = try server.client()
        XCTAssertEqual(try second.request("GET /set?x HTTP/1.1\r\nHost: t\r\n\r\n").text, "set")
        let third = try server.client()
        XCTAssertEqual(try third.read(through: "\r\n").trimmingCharacters(in: .whitespacesAndNewlines),
                       "HTTP/1.1 503 Service Unavailable")
    }

    func testALPNChoosesH2OnTLS() throws {
        let certificates = try TestCertificates()
        let files = try certificates.issue("h2")
        let server = try TestServer(Self.scripts) { $0.tls = files }
        let url = "https://localhost:\(server.port)/env"
        let resolve = "localhost:\(server.port):127.0.0.1"
        let h2 = try Curl.run(["--http2", "--cacert", certificates.authority, "--resolve", resolve, "-v",
                               "-w", "|%{http_version}", url])
        XCTAssertTrue(h2.errors.contains("ALPN: server accepted h2"), h2.errors)
        XCTAssertEqual(h2.out, "HTTP/2.0 GET   localhost:\(server.port) nil on|2")
        let h1 = try Curl.run(["--http1.1", "--cacert", certificates.authority, "--resolve", resolve,
                               "-w", "|%{http_version}", url])
        XCTAssertEqual(h1.out, "HTTP/1.1 GET   localhost:\(server.port) nil on|1.1", "a client that offers only http/1.1 gets it")
    }

    func testSIGTERMSendsGOAWAYAndLetsOpenStreamsFinish() throws {
        let started = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-h2-started-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: started) }
        let script = """
            local luagw = require "luagw"
            return function(e, sr)
              io.open("\(started.path)", "w"):close()
              luagw.sleep(0.5)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return "finished"
            end
            """
        let server = try LuagwProcess(["slow.lua": script], arguments: ["--grace-time", "30", "--reload", "off"])
        let curl = NIOLockedValueBox<Curl?>(nil)
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            let answer = try? Curl.run(["--http2-prior-knowledge", "-v", "-w", "|%{http_code}", "http://127.0.0.1:\(server.port)/slow"])
            curl.withLockedValue { $0 = answer }
        }
        waitUntil("the application to start") { FileManager.default.fileExists(atPath: started.path) }
        kill(server.process.processIdentifier, SIGTERM)
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        let answer = curl.withLockedValue { $0 }
        XCTAssertEqual(answer?.out, "finished|200", "the open stream finishes")
        // curl 7.88 spells it "recveived".
        XCTAssertTrue(answer?.errors.contains("GOAWAY, error=0, last_stream=1") == true, answer?.errors ?? "")
        XCTAssertTrue(server.waitForExit(within: 30))
        XCTAssertEqual(server.process.terminationStatus, 0)
    }

    func testAnIdleConnectionIsClosedAfterTheKeepAliveTime() throws {
        let server = try TestServer(Self.scripts, limits: RequestLimits(keepAliveTimeout: 0.3))
        let client = try RawClient(port: server.port, timeout: 30)
        // The preface and an empty SETTINGS frame: an HTTP/2 connection that opens no stream.
        try client.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0])
        let started = Date()
        var frames = try client.readToEnd()[...]  // to the server's close
        XCTAssertLessThan(Date().timeIntervalSince(started), 8, "closed by the 0.3 s --keep-alive (the default is 5 s)")
        var types: [UInt8] = []
        while frames.count >= 9 {
            let length = Int(frames[frames.startIndex]) << 16 | Int(frames[frames.startIndex + 1]) << 8 | Int(frames[frames.startIndex + 2])
            types.append(frames[frames.startIndex + 3])
            frames = frames.dropFirst(9 + length)
        }
        XCTAssertEqual(types.last, 7, "a GOAWAY before the close: \(types)")
    }

    func testFlowControlHoldsAStreamedResponse() throws {
        let server = try TestServer(Self.scripts)
        let result = try H2SlowReader.read(port: server.port, path: "/produce", progressPath: "/progress")
        // Without backpressure all 100 chunks are produced at once (the client's window is 16 KiB).
        let produced = try XCTUnwrap(Int(result.progress ?? ""), "\(result)")
        XCTAssertLessThan(produced, 20, "the application waits for the client's window")
        XCTAssertEqual(result.length, 1_000_000, "and goes on when it is granted")
    }

    func testRequestLimitsApplyToEachStream() throws {
        let server = try TestServer(Self.scripts, limits: RequestLimits(maxHeaderCount: 6, maxBodyBytes: 10))
        let url = "http://127.0.0.1:\(server.port)/echo"
        let large = try Curl.run(["--http2-prior-knowledge", "-d", String(repeating: "b", count: 100), "-w", "|%{http_code}", url])
        XCTAssertEqual(large.out, "Content Too Large: the body is 100 bytes, more than --max-body (10)\n|413")
        let small = try Curl.run(["--http2-prior-knowledge", "-d", "0123456789", "-w", "|%{http_code}", url])
        XCTAssertEqual(small.out, "HTTP/2.0 10 01234567|200")
        let fields = (1...6).flatMap { ["-H", "X-Field-\($0): \($0)"] }
        let many = try Curl.run(["--http2-prior-knowledge"] + fields + ["-w", "|%{http_code}", url])
        XCTAssertTrue(many.out.hasPrefix("Request Header Fields Too Large: "), many.out)
        XCTAssertTrue(many.out.hasSuffix(" header fields, more than --max-headers (6)\n|431"), "says which limit and flag: \(many.out)")
    }

    func testAFileWrapperBodyIsSentInDATAFrames() throws {
        let server = try TestServer(Self.scripts)
        // A stream has no sendfile: FileRegionReader reads the file off the loop, 64 KiB at a time.
        let content = (0..<30_000).map { String(format: "%09d\n", $0) }.joined()  // 300 000 bytes, each line its own
        let file = server.directory.appendingPathComponent("data.txt")
        try content.write(to: file, atomically: true, encoding: .utf8)
        let curl = try Curl.run(["--http2-prior-knowledge", "http://127.0.0.1:\(server.port)/file?\(file.path)"])
        XCTAssertTrue(curl.out == content, "\(curl.out.utf8.count) bytes: \(curl.errors)")
    }

    func testFlowControlHoldsARequestBodyTheApplicationDoesNotRead() throws {
        let server = try TestServer(Self.scripts, bodyBufferLimit: 256 * 1024)
        let result = try H2BodyWriter.post(port: server.port, path: "/await?body", releasePath: "/set?body", bytes: 4_000_000)
        // What the server buffers (--body-buffer) and what the stream and connection windows let through, not 4 MB.
        XCTAssertLessThan(result.held, 256 * 1024 + 4 * 65_535, "\(result.held) bytes taken before the application read")
        XCTAssertEqual(result.answer, "released 4000000", "the whole body, once the application reads")
    }
}
