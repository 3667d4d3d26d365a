import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 11's TLS out: `sock:sslhandshake` on the cosockets (`luagw.socket.tcp`, `ngx.socket.tcp`,
/// the LuaSocket look-alike) and `luagw.http.request("https://...")`, against a Python peer
/// whose certificate comes from a throwaway authority (given with `--ca-file`).
final class TLSClientTests: XCTestCase {
    static let scripts = [
        "tls.lua": #"""
            local luagw = require "luagw"
            local http = require "luagw.http"

            -- GET /raw on a socket whose handshake went well: the status line and the body.
            local function get(sock)
              assert(sock:send("GET /raw HTTP/1.1\r\nHost: localhost\r\n\r\n"))
              local status = assert(sock:receive("*l"))
              local length
              repeat
                local line = assert(sock:receive("*l"))
                length = length or tonumber(line:match("^[Cc]ontent%-[Ll]ength: (%d+)"))
              until line == ""
              return status .. " " .. assert(sock:receive(length))
            end

            -- Connects `sock` to the peer and shakes hands with `...`; what a case shows.
            local function handshake(sock, port, ...)
              assert(sock:connect("127.0.0.1", port))
              local session, err = sock:sslhandshake(...)
              if not session then return tostring(session) .. " " .. err .. " " .. tostring(sock:send("x")) end
              return tostring(session) .. " " .. tostring(sock:sslhandshake(...)) .. " " .. get(sock)
            end

            local cases = {}
            function cases.named(port) return handshake(luagw.socket.tcp(), port, nil, "localhost") end
            function cases.unnamed(port) return handshake(luagw.socket.tcp(), port) end
            function cases.wrongname(port) return handshake(luagw.socket.tcp(), port, nil, "wrong.example") end
            function cases.unverified(port) return handshake(luagw.socket.tcp(), port, nil, "wrong.example", false) end
            function cases.ngx(port) return handshake(require("luagw.ngx").socket.tcp(), port, nil, "localhost") end
            function cases.luasocket(port) return handshake(require("luagw.socket").tcp(), port, nil, "localhost") end
            -- A connection back from its pool is encrypted already: no second handshake.
            function cases.pooled(port)
              local out = {}
              for _ = 1, 2 do
                local sock = luagw.socket.tcp()
                assert(sock:connect("127.0.0.1", port, { pool = "tls" }))
                out[#out + 1] = sock:getreusedtimes() .. " " .. tostring(sock:sslhandshake(nil, "localhost")) .. " " .. get(sock)
                assert(sock:setkeepalive())
              end
              return table.concat(out, "|")
            end
            function cases.silent(port)
              local sock = luagw.socket.tcp()
              sock:settimeout(300)
              assert(sock:connect("127.0.0.1", port))
              local started = luagw.now()
              local session, err = sock:sslhandshake(nil, "localhost")
              local waited = luagw.now() - started
              return tostring(session) .. " " .. err .. " " .. tostring(waited >= 0.25 and waited < 10)
            end
            function cases.https(port)
              local out = {}
              for _, url in ipairs { "https://localhost:%d/a", "https://localhost:%d/b", "https://127.0.0.1:%d/c",
                                     "https://localhost:%d/d", "http://localhost:%d/e" } do
                local res, err = http.request(url:format(port), { timeout = 5 })
                out[#out + 1] = res and res.status .. " " .. res.body or "nil " .. err
              end
              return table.concat(out, "|")
            end
            function cases.unknown(port)
              local url = "https://localhost:" .. port .. "/"
              local res, err = http.request(url)
              local unverified = assert(http.request(url, { ssl_verify = false }))
              return tostring(res) .. " " .. err .. "|" .. unverified.body
            end

            return function(e, sr)
              local result = cases[e.PATH_INFO:sub(2)](tonumber(e.QUERY_STRING))
              sr(200, {})
              return result
            end
            """#,
    ]

    /// A luagw server that trusts `peer`'s authority (none when nil).
    private func server(trusting peer: TLSPeer?, socketTimeout: Double = 60) throws -> TestServer {
        try TestServer(Self.scripts, lua: LuaLimits(socketTimeout: socketTimeout)) { configuration in
            configuration.caFiles = peer.map { [$0.caFile] } ?? []
        }
    }

    private func run(_ server: TestServer, _ name: String, port: Int) throws -> String {
        try server.get("/tls/\(name)?\(port)").text
    }

    func testAHandshakeWithTheServerNameThenARoundTrip() throws {
        let peer = try TLSPeer()
        let server = try server(trusting: peer)
        XCTAssertEqual(try run(server, "named", port: peer.port), "true true HTTP/1.1 200 OK connection 1 /raw")
    }

    func testWithoutAServerNameTheChainIsStillVerified() throws {
        let peer = try TLSPeer()
        XCTAssertEqual(try run(try server(trusting: peer), "unnamed", port: peer.port),
                       "true true HTTP/1.1 200 OK connection 1 /raw")
        let untrusting = try server(trusting: nil)
        XCTAssertTrue(try run(untrusting, "unnamed", port: peer.port).hasPrefix("nil certificate verify failed"))
    }

    /// (NIOSSL also accepts a certificate for the address connected to, whatever the name: this
    /// one names no address.)
    func testAWrongNameFailsVerificationAndClosesTheSocket() throws {
        let peer = try TLSPeer(names: "DNS:localhost")
        let text = try run(try server(trusting: peer), "wrongname", port: peer.port)
        XCTAssertTrue(text.hasPrefix("nil certificate verify failed: "), text)
        XCTAssertTrue(text.contains("wrong.example"), text)
        XCTAssertTrue(text.hasSuffix(" nil"), text)  // the socket is closed: send returns nil
    }

    func testAnUnknownAuthorityFailsVerification() throws {
        let peer = try TLSPeer()
        let text = try run(try server(trusting: nil), "named", port: peer.port)
        XCTAssertTrue(text.hasPrefix("nil certificate verify failed: "), text)
    }

    func testSSLVerifyFalseSkipsVerification() throws {
        let peer = try TLSPeer()
        XCTAssertEqual(try run(try server(trusting: nil), "unverified", port: peer.port),
                       "true true HTTP/1.1 200 OK connection 1 /raw")
    }

    func testNgxAndTheLuaSocketLookAlikeShakeHandsToo() throws {
        let peer = try TLSPeer()
        let server = try server(trusting: peer)
        XCTAssertEqual(try run(server, "ngx", port: peer.port), "true true HTTP/1.1 200 OK connection 1 /raw")
        XCTAssertEqual(try run(server, "luasocket", port: peer.port), "true true HTTP/1.1 200 OK connection 2 /raw")
        // Refused as the cosocket's are: nil, the reason, and a closed socket.
        let untrusting = try self.server(trusting: nil)
        for name in ["ngx", "luasocket"] {
            let text = try run(untrusting, name, port: peer.port)
            XCTAssertTrue(text.hasPrefix("nil certificate verify failed: ") && text.hasSuffix(" nil"), "\(name): \(text)")
        }
    }

    func testAConnectionFromThePoolIsEncryptedAlready() throws {
        let peer = try TLSPeer()
        XCTAssertEqual(try run(try server(trusting: peer), "pooled", port: peer.port),
                       "0 true HTTP/1.1 200 OK connection 1 /raw|1 true HTTP/1.1 200 OK connection 1 /raw")
    }

    func testAPeerThatNeverAnswersTimesOut() throws {
        let silent = try LoopbackListener { _ in }
        let text = try run(try server(trusting: nil), "silent", port: silent.port)
        XCTAssertEqual(text, "nil timeout true")
    }

    /// Kept-alive connections are pooled by scheme, host, port and server name: /a and /b share
    /// one, 127.0.0.1 (another name) gets its own, /d is back on the first; plain http to the
    /// TLS port is a connection of its own too (and fails).
    func testHTTPSWithKeepAlivePooledByServerName() throws {
        let peer = try TLSPeer()
        let text = try run(try server(trusting: peer), "https", port: peer.port)
        let answers = text.split(separator: "|").map(String.init)
        XCTAssertEqual(answers.count, 5, text)
        XCTAssertEqual(Array(answers.prefix(4)),
                       ["200 connection 1 /a", "200 connection 1 /b", "200 connection 2 /c", "200 connection 1 /d"], text)
        XCTAssertTrue(answers.last?.hasPrefix("nil ") ?? false, text)
    }

    func testHTTPSVerifiesUnlessTold() throws {
        let peer = try TLSPeer()
        let text = try run(try server(trusting: nil), "unknown", port: peer.port)
        XCTAssertTrue(text.hasPrefix("nil certificate verify failed: "), text)
        XCTAssertTrue(text.contains("|connection "), text)  // ssl_verify = false: answered
    }

    func testCAFileIsAFlagAndABadOneIsRefusedAtStartUp() throws {
        XCTAssertTrue(try LuagwProcess.run(["serve", "--help"], mergingErrors: true).out.contains("--ca-file"))
        let empty = try ScratchDirectory("luagw-ca-file")
        defer { empty.remove() }
        let bad = try LuagwProcess.run(["serve", empty.path, "--bind", "127.0.0.1:0", "--ca-file", empty.path + "/none.pem"],
                                       mergingErrors: true)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.out.contains("--ca-file \(empty.path)/none.pem: not a readable PEM file"), bad.out)
    }
}
