import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// SPEC 7's `luagw.http.request`, against luagw itself on one worker: the client's request
/// waits on its socket while the same worker serves the upstream request.
final class HTTPClientTests: XCTestCase {
    static let scripts = [
        "upstream.lua": #"""
            return function(e, sr)
              local body = e["wsgi.input"]:read()
              if e.PATH_INFO == "/stream" then
                sr(200, {{"Content-Type", "text/plain"}})
                local i = 0
                return function() i = i + 1; if i <= 3 then return "part" .. i .. ";" end end
              end
              sr(201, {{"X-Twice", "a"}, {"X-Twice", "b"}, {"Content-Type", "text/plain"}})
              return table.concat({ e.REQUEST_METHOD, e.PATH_INFO, e.QUERY_STRING, e.HTTP_X_ASK or "-",
                                    e.REMOTE_PORT, "[" .. body .. "]" }, " ")
            end
            """#,
        "client.lua": #"""
            local http = require "luagw.http"
            return function(e, sr)
              local port = e.QUERY_STRING
              local base = "http://127.0.0.1:" .. port .. "/upstream"
              local out = {}
              local case = e.PATH_INFO
              if case == "/get" then
                local res = assert(http.request(base .. "/x?y=1", { headers = { ["X-Ask"] = "yes" } }))
                out = { res.status, res.reason, res.headers["content-type"], table.concat(res.headers["X-TWICE"], "+"), res.body }
              elseif case == "/post" then
                local res = assert(http.request(base, { method = "PUT", body = "hello" }))
                out = { res.status, res.body }
              elseif case == "/chunked" then
                local parts = { "a", "bb", "ccc" }
                local i = 0
                local res = assert(http.request(base, { body = function() i = i + 1; return parts[i] end }))
                out = { res.body }
              elseif case == "/stream" then
                local res = assert(http.request(base .. "/stream", { stream = true }))
                repeat
                  local piece = res:read(3)
                  out[#out + 1] = piece
                until not piece
              elseif case == "/reuse" then
                local a = assert(http.request(base)).body:match("(%d+) %[")
                local b = assert(http.request(base)).body:match("(%d+) %[")
                out = { a == b and "same connection" or ("new connection " .. a .. " " .. b) }
              elseif case == "/refused" then
                out = { http.request("http://127.0.0.1:1/") }
              elseif case == "/ftp" then
                out = { select(2, http.request("ftp://example.org/")) }
              end
              for i = 1, #out do out[i] = tostring(out[i]) end
              sr(200, {})
              return table.concat(out, "|")
            end
            """#,
    ]

    private func get(_ server: TestServer, _ path: String) throws -> String {
        try server.get("/client\(path)?\(server.port)").text
    }

    func testAGetWithHeadersBothWays() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        let text = try get(server, "/get")
        XCTAssertTrue(text.hasPrefix("201|Created|text/plain|a+b|GET /x y=1 yes "), text)
        XCTAssertTrue(text.hasSuffix(" []"), text)
    }

    func testBodiesAsAStringAndAsAnIterator() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        let put = try get(server, "/post")
        XCTAssertTrue(put.hasPrefix("201|PUT "), put)
        XCTAssertTrue(put.hasSuffix("[hello]"), put)
        XCTAssertTrue(try get(server, "/chunked").hasSuffix("[abbccc]"))
    }

    func testAStreamedResponseReadPieceByPiece() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        XCTAssertEqual(try get(server, "/stream"), "par|t1;|par|t2;|par|t3;")
    }

    func testConnectionsAreKeptAlive() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        XCTAssertEqual(try get(server, "/reuse"), "same connection")
    }

    func testFailuresAreNilAndAMessage() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        XCTAssertEqual(try get(server, "/refused"), "nil|connection refused")
        XCTAssertEqual(try get(server, "/ftp"), "unsupported scheme ftp")
    }

    func testAKeptAliveConnectionTheServerClosedIsRetriedOnANewOne() throws {
        // Each connection answers its first request and keeps quiet on the second, closing then:
        // the race of a server that closes an idle connection just as the client reuses it.
        let racing = try LoopbackListener { client in
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 4096)
                var requests = 0
                while recv(client, &buffer, buffer.count, 0) > 0 {
                    requests += 1
                    if requests == 2 { break }
                    _ = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".withCString { send(client, $0, 40, 0) }
                }
                close(client)
            }
        }
        let server = try TestServer(["twice.lua": #"""
            local http = require "luagw.http"
            return function(e, sr)
              local url = "http://127.0.0.1:" .. e.QUERY_STRING .. "/"
              local first = assert(http.request(url, { method = "POST", body = "one" }))
              local second, err = http.request(url, { method = "POST", body = "two" })
              sr(200, {})
              return first.body .. " " .. (second and second.body or ("failed: " .. tostring(err)))
            end
            """#])
        XCTAssertEqual(try server.get("/twice?\(racing.port)").text, "ok ok")
    }
}
