import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// SPEC 7's TCP cosocket against peers the test controls: a listener that never answers, one
/// that closes mid-response, a port nobody listens on, a name nobody resolves; and the
/// descriptors of sockets that requests leave open.
final class SocketTests: XCTestCase {
    static let client = #"""
        local luagw = require "luagw"
        return function(e, sr)
          local host, port, timeout = e.QUERY_STRING:match("^([^:]+):(%d+):?(%d*)$")
          local sock = luagw.socket.tcp()
          sock:settimeout(tonumber(timeout) or 5000)
          local ok, err = sock:connect(host, tonumber(port))
          if not ok then sr(200, {}); return "connect: " .. err end
          if e.PATH_INFO == "/leave" then sr(200, {}); return "left open" end
          sock:send({ "PING", "\r\n" })
          local line, err, partial = sock:receive()
          sr(200, {})
          return line and ("line: " .. line) or ("receive: " .. err .. " partial: " .. tostring(partial))
        end
        """#

    func testAPortNobodyListensOnIsRefused() throws {
        let port = try LoopbackListener().port  // closed again at once: nobody listens there
        let server = try TestServer(["c.lua": Self.client])
        XCTAssertEqual(try server.get("/c?127.0.0.1:\(port)").text, "connect: connection refused")
    }

    func testANameNobodyResolvesSaysSo() throws {
        let server = try TestServer(["c.lua": Self.client])
        XCTAssertEqual(try server.get("/c?no-such-host.invalid:80").text, "connect: no resolver answer")
    }

    func testAPeerThatNeverAnswersTimesOutAndTheWorkerServesOthers() throws {
        let silent = try LoopbackListener { _ in }  // accepts, never writes, never closes
        let server = try TestServer(["c.lua": Self.client, "hello.lua": #"return function(e, sr) sr(200, {}); return "hi" end"#],
                                    workers: 1)
        let waiting = try server.client()
        try waiting.send("GET /c?127.0.0.1:\(silent.port):3000 HTTP/1.1\r\nHost: t\r\n\r\n")
        server.waitForRunningRequests(1)
        XCTAssertEqual(try server.get("/hello").text, "hi", "the worker answers while a request waits on its socket")
        XCTAssertEqual(try waiting.readResponse().text, "receive: timeout partial: ")
    }

    func testTheDefaultTimeoutIsTheServers() throws {
        let silent = try LoopbackListener { _ in }
        let server = try TestServer(["quiet.lua": #"""
            return function(e, sr)
              local sock = require("luagw").socket.tcp()
              assert(sock:connect("127.0.0.1", tonumber(e.QUERY_STRING)))
              local started = require("luagw").now()
              local line, err = sock:receive()
              sr(200, {})
              return err .. " " .. tostring(require("luagw").now() - started >= 0.3)
            end
            """#], lua: LuaLimits(socketTimeout: 0.3))
        XCTAssertEqual(try server.get("/quiet?\(silent.port)").text, "timeout true")
    }

    func testAPeerThatClosesMidResponseGivesThePartialLine() throws {
        let halfway = try LoopbackListener { client in
            var buffer = [UInt8](repeating: 0, count: 64)
            _ = recv(client, &buffer, buffer.count, 0)
            _ = "PO".withCString { send(client, $0, 2, 0) }
            close(client)
        }
        let server = try TestServer(["c.lua": Self.client])
        XCTAssertEqual(try server.get("/c?127.0.0.1:\(halfway.port)").text, "receive: closed partial: PO")
    }

    func testFiftyRequestsWaitingOnASlowUpstreamWaitTogether() throws {
        let slow = try LoopbackListener { client in
            Thread.detachNewThread {  // each answer one second late, all at the same time
                var buffer = [UInt8](repeating: 0, count: 64)
                _ = recv(client, &buffer, buffer.count, 0)
                Thread.sleep(forTimeInterval: 1)
                _ = "PONG\r\n".withCString { send(client, $0, 6, 0) }
                close(client)
            }
        }
        let server = try TestServer(["c.lua": Self.client, "hello.lua": #"return function(e, sr) sr(200, {}); return "hi" end"#],
                                    workers: 1, pool: PoolLimits())
        let started = Date()
        let clients = try (0..<50).map { _ in try server.client() }
        for client in clients { try client.send("GET /c?127.0.0.1:\(slow.port) HTTP/1.1\r\nHost: t\r\n\r\n") }
        server.waitForRunningRequests(50)
        XCTAssertEqual(try server.get("/hello").text, "hi", "the worker answers while 50 requests wait upstream")
        for client in clients { XCTAssertEqual(try client.readResponse().text, "line: PONG") }
        let took = Date().timeIntervalSince(started)
        XCTAssertLessThan(took, 15, "50 one-second upstream answers took \(took) s (one after another: 50 s)")
    }

    func testAShortTimeoutAfterALongOneStillEndsTheWaitInTime() throws {
        let once = try LoopbackListener { client in  // answers the first line only, then keeps quiet
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 64)
                _ = recv(client, &buffer, buffer.count, 0)
                _ = "A\r\n".withCString { send(client, $0, 3, 0) }
                while recv(client, &buffer, buffer.count, 0) > 0 {}
                close(client)
            }
        }
        let server = try TestServer(["twice.lua": #"""
            return function(e, sr)
              local sock = require("luagw").socket.tcp()
              sock:settimeout(60000)
              assert(sock:connect("127.0.0.1", tonumber(e.QUERY_STRING)))
              sock:send("1\r\n")
              local first = sock:receive()
              sock:settimeout(200)
              sock:send("2\r\n")
              local second, err = sock:receive()
              sr(200, {})
              return first .. " " .. tostring(second) .. " " .. err
            end
            """#])
        let started = Date()
        XCTAssertEqual(try server.get("/twice?\(once.port)").text, "A nil timeout")
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "the 200 ms wait lasted as long as the 60 s one before it")
    }

    func testAConnectionIdleInItsPoolTooLongIsClosed() throws {
        let closedByLuagw = DispatchSemaphore(value: 0)
        let peer = try LoopbackListener { client in
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 64)
                while recv(client, &buffer, buffer.count, 0) > 0 {}
                close(client)
                closedByLuagw.signal()
            }
        }
        let server = try TestServer(["pool.lua": #"""
            return function(e, sr)
              local sock = require("luagw").socket.tcp()
              assert(sock:connect("127.0.0.1", tonumber(e.QUERY_STRING)))
              local reused = sock:getreusedtimes()
              assert(sock:setkeepalive(300))
              sr(200, {})
              return tostring(reused)
            end
            """#], workers: 1)
        XCTAssertEqual(try server.get("/pool?\(peer.port)").text, "0")
        XCTAssertEqual(try server.get("/pool?\(peer.port)").text, "1", "kept alive, then reused")
        XCTAssertEqual(closedByLuagw.wait(timeout: .now() + 20), .success, "the idle connection was never closed")
        waitUntil("the pool forgot it") { server.server.workers!.collect { $0.sockets.counts.idle }.reduce(0, +) == 0 }
        XCTAssertEqual(try server.get("/pool?\(peer.port)").text, "0", "a new connection, not the closed one")
    }

    func testSocketsOfAFailedRequestAreClosedToo() throws {
        let listener = try LoopbackListener { client in close(client) }
        let server = try TestServer(["fail.lua": #"""
            return function(e, sr)
              local sock = require("luagw").socket.tcp()
              assert(sock:connect("127.0.0.1", tonumber(e.QUERY_STRING)))
              error("failing with a socket open")
            end
            """#], workers: 1)
        XCTAssertEqual(try server.get("/fail?\(listener.port)").code, 500)
        let before = Self.openDescriptors()
        for _ in 0..<500 { XCTAssertEqual(try server.get("/fail?\(listener.port)").code, 500) }
        waitUntil("the failed requests' sockets closed") { Self.openDescriptors() <= before + 8 }
        XCTAssertEqual(server.server.workers!.collect { $0.sockets.counts.open }.reduce(0, +), 0)
    }

    func testSocketsLeftOpenAreClosedWhenTheRequestEnds() throws {
        let listener = try LoopbackListener { client in close(client) }
        let server = try TestServer(["c.lua": Self.client], workers: 1)
        let client = try server.client()
        _ = try client.request("GET /c/leave?127.0.0.1:\(listener.port) HTTP/1.1\r\nHost: t\r\n\r\n")
        let before = Self.openDescriptors()
        for _ in 0..<10_000 {
            XCTAssertEqual(try client.request("GET /c/leave?127.0.0.1:\(listener.port) HTTP/1.1\r\nHost: t\r\n\r\n").text, "left open")
        }
        waitUntil("the descriptors of 10,000 abandoned sockets closed") { Self.openDescriptors() <= before + 8 }
        XCTAssertEqual(server.server.workers!.collect { $0.sockets.counts.open }.reduce(0, +), 0, "no socket is held")
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
