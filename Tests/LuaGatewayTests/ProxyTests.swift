import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// SPEC 8's `luagw.web.proxy` in front of two luagw upstreams on loopback: balancing, forwarded
/// and hop-by-hop fields, streamed bodies, a dead upstream skipped, 502 and 504.
final class ProxyTests: XCTestCase {
    static func upstream(_ name: String) -> String {
        #"""
        return function(e, sr)
          if e.PATH_INFO == "/slow" then require("luagw").sleep(tonumber(e.QUERY_STRING) or 1) end
          local body = e["wsgi.input"]:read("a")
          sr("200 OK", { { "Content-Type", "text/plain" }, { "X-Upstream", "\#(name)" } })
          return table.concat({ "\#(name)", e.REQUEST_METHOD, e.PATH_INFO, e.QUERY_STRING or "", e.HTTP_HOST or "",
            e.HTTP_X_FORWARDED_FOR or "", e.HTTP_X_FORWARDED_HOST or "", e.HTTP_X_FORWARDED_PROTO or "",
            e.HTTP_X_SECRET or "-", #body }, "|")
        end
        """#
    }

    func proxy(to ports: [Int], options: String = "") throws -> TestServer {
        let list = ports.map { "\"http://127.0.0.1:\($0)\"" }.joined(separator: ", ")
        return try TestServer(["index.lua": #"return require("luagw.web.proxy"){ upstreams = { \#(list) }\#(options) }"#],
                              pool: PoolLimits(initial: 1, maximum: 16, queue: 16))
    }

    func name(_ response: Response) -> String { String(response.text.split(separator: "|").first ?? "") }

    func testRequestsAlternateAndCarryForwardedFields() throws {
        let a = try TestServer(["index.lua": Self.upstream("a")]), b = try TestServer(["index.lua": Self.upstream("b")])
        let proxy = try proxy(to: [a.port, b.port])
        let names = try (0..<4).map { _ in name(try proxy.get("/x")) }
        XCTAssertEqual(Set(names), ["a", "b"])
        XCTAssertNotEqual(names[0], names[1], "round robin: \(names)")
        XCTAssertNotEqual(names[1], names[2], "round robin: \(names)")
        let response = try proxy.get("/p%20q/r?s=1&t=%20", headers: "Connection: X-Secret\r\nX-Secret: 1\r\nX-Forwarded-For: 10.0.0.1\r\n")
        let fields = response.text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(fields[1...4], ["GET", "/p q/r", "s=1&t=%20", "127.0.0.1:\(fields[0] == "a" ? a.port : b.port)"])
        XCTAssertEqual(fields[5], "10.0.0.1, 127.0.0.1", "the client is added to X-Forwarded-For")
        XCTAssertEqual(fields[6], "test", "the client's Host")
        XCTAssertEqual(fields[7], "http")
        XCTAssertEqual(fields[8], "-", "a field that Connection names is hop-by-hop: dropped")
        XCTAssertEqual(response.header("x-upstream"), fields[0])
    }

    func testABodyIsStreamedToTheUpstream() throws {
        let a = try TestServer(["index.lua": Self.upstream("a")])
        let proxy = try proxy(to: [a.port])
        let body = [UInt8](repeating: 0x62, count: 3 << 20)
        let client = try proxy.client()
        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n")
        try client.send(body)
        XCTAssertEqual(try client.readResponse().text.split(separator: "|").last, "\(body.count)")
        try client.send("PUT /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text.split(separator: "|").last, "5")
    }

    func testADeadUpstreamIsSkippedAndAllDeadIs502() throws {
        let a = try TestServer(["index.lua": Self.upstream("a")])
        let deadPort = try LoopbackListener().port  // closed at once: connections are refused
        let proxy = try proxy(to: [deadPort, a.port])
        for _ in 0..<6 {
            let response = try proxy.get("/x")
            XCTAssertEqual(response.code, 200)
            XCTAssertEqual(name(response), "a")
        }
        let none = try self.proxy(to: [deadPort])
        let response = try none.get("/x")
        XCTAssertEqual(response.code, 502)
        XCTAssertTrue(response.text.contains("connection refused"), response.text)
    }

    /// An answer with a Content-Length read to its end gives its connection back to the
    /// worker's pool: the next request, from another client, reaches the upstream on it (the
    /// same client port).
    func testTheUpstreamConnectionIsKeptAlive() throws {
        let a = try TestServer(["index.lua": #"return function(e, sr) sr("200 OK", {}); return e.REMOTE_PORT end"#])
        let proxy = try proxy(to: [a.port])
        let ports = try (0..<3).map { _ in try proxy.get("/k").text }
        XCTAssertFalse(ports[0].isEmpty)
        XCTAssertEqual(Set(ports).count, 1, "one upstream connection: \(ports)")
    }

    func testAnUpstreamThatTakesTooLongIs504() throws {
        let a = try TestServer(["index.lua": Self.upstream("a")])
        let proxy = try proxy(to: [a.port], options: ", timeout = 0.3")
        XCTAssertEqual(try proxy.get("/slow?5").code, 504)
    }

    func testLeastConnectionsAvoidsTheBusyUpstream() throws {
        let a = try TestServer(["index.lua": Self.upstream("a")]), b = try TestServer(["index.lua": Self.upstream("b")])
        let proxy = try proxy(to: [a.port, b.port], options: #", balance = "least_conn""#)
        let held = try proxy.client()
        try held.send("GET /slow?2 HTTP/1.1\r\nHost: t\r\n\r\n")
        waitUntil("the held request reached its upstream") { a.busyStates + b.busyStates >= 1 }
        let quick = try (0..<3).map { _ in name(try proxy.get("/x")) }
        let busy = name(try held.readResponse())
        XCTAssertEqual(Set(quick).count, 1, "all to the idle upstream: \(quick)")
        XCTAssertNotEqual(quick[0], busy)
    }

    func testAGigabyteUpAndDownThroughTheProxyInBoundedMemory() throws {
        let gib = 1 << 30
        let upstream = try LuagwProcess(["upload.lua": Fixtures.countingUpload, "download.lua": Fixtures.download])
        let proxy = try LuagwProcess(["index.lua": #"return require("luagw.web.proxy"){ upstreams = { "http://127.0.0.1:\#(upstream.port)" } }"#])
        let client = try proxy.client()
        XCTAssertEqual(try client.request("GET /download?1 HTTP/1.1\r\nHost: t\r\n\r\n").body.count, 65536)
        let baseline = proxy.memoryKiB("VmHWM")

        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(gib)\r\n\r\n")
        let block = [UInt8](repeating: 0x61, count: 1 << 20)
        for _ in 0..<(gib >> 20) { try client.send(block) }
        XCTAssertEqual(try client.readResponse().text, String(gib))

        try client.send("GET /download?\(gib / 65536) HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertTrue(try client.read(through: "\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        var received = client.takeBuffered().count
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while received < gib {
            let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received += n
        }
        XCTAssertEqual(received, gib)
        let growthMiB = Double(proxy.memoryKiB("VmHWM") - baseline) / 1024
        print("proxy: 1 GiB up and 1 GiB down through luagw.web.proxy, its peak RSS +\(String(format: "%.1f", growthMiB)) MiB")
        XCTAssertLessThan(growthMiB, 16, "the proxy's peak RSS grew by \(growthMiB) MiB")
    }

    /// nginx (Debian's nginx-light) on loopback, answering every request with its name and the request line.
    func nginxUpstream() throws -> (process: Process, port: Int, scratch: ScratchDirectory) {
        let scratch = try ScratchDirectory("luagw-nginx")
        let dir = scratch.url.path
        let started = try startListening("/usr/sbin/nginx", discardingOutput: true) { port in
            let conf = """
                daemon off; worker_processes 1; pid \(dir)/nginx.pid; error_log \(dir)/error.log;
                events { worker_connections 256; }
                http {
                  access_log off; client_body_temp_path \(dir)/body; proxy_temp_path \(dir)/proxy;
                  fastcgi_temp_path \(dir)/fastcgi; uwsgi_temp_path \(dir)/uwsgi; scgi_temp_path \(dir)/scgi;
                  server { listen 127.0.0.1:\(port); location / { return 200 "nginx|$request_method|$uri"; } }
                }
                """
            try? conf.write(toFile: "\(dir)/nginx.conf", atomically: true, encoding: .utf8)
            return ["-c", "\(dir)/nginx.conf", "-p", dir]
        }
        return (started.process, started.port, scratch)
    }

    func testLuagwAndNginxTakeTurnsAndAKilledUpstreamCostsNoRequest() throws {
        let nginx = try nginxUpstream()
        defer { nginx.process.terminate(); nginx.process.waitUntilExit(); nginx.scratch.remove() }
        var a: TestServer? = try TestServer(["index.lua": Self.upstream("a")])
        let proxy = try proxy(to: [a!.port, nginx.port])
        let names = try (0..<4).map { _ in name(try proxy.get("/x")) }
        XCTAssertEqual(Set(names), ["a", "nginx"], "both upstreams answer")
        let client = try proxy.client()
        var failures = 0
        for i in 0..<200 {
            if i == 50 { try a!.server.shutdown(); a = nil }  // the luagw upstream goes away mid-run
            let response = try client.request("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
            if response.code != 200 { failures += 1 }
        }
        XCTAssertEqual(failures, 0, "no client saw the killed upstream")
        XCTAssertEqual(name(try proxy.get("/x")), "nginx")
    }
}
