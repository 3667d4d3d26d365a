import Foundation
import XCTest
@testable import LuaGateway

/// Debian's lua-nginx-dns (OpenResty's lua-resty-dns, `nginx.dns.resolver`), unchanged, through
/// `require "luagw.ngx"` (`ngx.socket.udp`, `bit`, `ngx.re`, and `ngx.socket.tcp` when a
/// reply is truncated) against dnsmasq on a loopback port, and against peers that never answer
/// or refuse.
final class DNSResolverTests: XCTestCase {
    static let big = String(repeating: "x", count: 200)

    /// GET /dns?PORT/NAME/TYPE[/TIMEOUT_MS]: the answers, one line each ("name type value"; an IPv6
    /// address also compressed by the library's `compress_ipv6_addr`), sorted.
    static func application() throws -> String {
        let library = try PeerServer.clientLibraryPath()
        guard FileManager.default.fileExists(atPath: library + "/nginx/dns/resolver.lua") else {
            throw XCTSkip("lua-nginx-dns is not unpacked: run scripts/test")
        }
        return """
            package.path = "\(library)/?.lua;" .. package.path
            require "luagw.ngx"
            local resolver = require "nginx.dns.resolver"
            return function(e, sr)
              local port, name, qtype, timeout = e.QUERY_STRING:match("^(%d+)/([^/]+)/(%u+)/?(%d*)$")
              local r = assert(resolver:new{ nameservers = { { "127.0.0.1", tonumber(port) } }, retrans = 2,
                                             timeout = tonumber(timeout) or 10000 })
              local answers, err = r:query(name, { qtype = resolver["TYPE_" .. qtype] })
              sr(200, { { "Content-Type", "text/plain" } })
              if not answers then return "error: " .. err end
              if answers.errcode then return "errcode " .. answers.errcode .. ": " .. answers.errstr end
              local lines = {}
              for _, a in ipairs(answers) do
                local value = a.address or a.cname or (a.exchange and a.preference .. " " .. a.exchange)
                  or (type(a.txt) == "table" and table.concat(a.txt, "|") or a.txt)
                if a.type == resolver.TYPE_AAAA then value = value .. " " .. resolver.compress_ipv6_addr(value) end
                lines[#lines + 1] = a.name .. " " .. a.type .. " " .. tostring(value)
              end
              table.sort(lines)
              return table.concat(lines, "\\n")
            end
            """
    }

    func testAnswersOfEachTypeAndTheTCPFallback() throws {
        let dns = try PeerServer.dnsmasq(records: [
            "--host-record=a.test,192.0.2.10,2001:db8::10", "--cname=www.test,a.test",
            "--txt-record=t.test,v=spf1 -all,second", "--mx-host=m.test,mail1.test,10", "--mx-host=m.test,mail2.test,20",
            "--txt-record=big.test,\(Self.big),\(Self.big),\(Self.big)",  // over UDP's 512 bytes: truncated, asked again over TCP
        ])
        let server = try TestServer(["dns.lua": try Self.application()])
        let cases = [
            ("a.test/A", "a.test 1 192.0.2.10"),
            ("a.test/AAAA", "a.test 28 2001:db8:0:0:0:0:0:10 2001:db8::10"),  // as the library gives it, then compressed
            ("www.test/A", "a.test 1 192.0.2.10\nwww.test 5 a.test"),
            ("t.test/TXT", "t.test 16 v=spf1 -all|second"),
            ("m.test/MX", "m.test 15 10 mail1.test\nm.test 15 20 mail2.test"),
            ("big.test/TXT", "big.test 16 \(Self.big)|\(Self.big)|\(Self.big)"),
            ("nope.test/A", "errcode 3: name error"),
        ]
        for (query, answer) in cases {
            XCTAssertEqual(try server.get("/dns?\(dns.port)/\(query)").text, answer, query)
        }
    }

    func testFortyRequestsResolvingAtOnceEachGetTheirOwnAnswer() throws {
        let dns = try PeerServer.dnsmasq(records: (0..<40).map { "--host-record=h\($0).test,192.0.2.\($0 + 1)" })
        let server = try TestServer(["dns.lua": try Self.application()], workers: 2, pool: PoolLimits())
        let clients = try (0..<40).map { _ in try server.client() }
        for (i, client) in clients.enumerated() {
            try client.send("GET /dns?\(dns.port)/h\(i).test/A HTTP/1.1\r\nHost: t\r\n\r\n")
        }
        for (i, client) in clients.enumerated() {
            XCTAssertEqual(try client.readResponse().text, "h\(i).test 1 192.0.2.\(i + 1)")
        }
    }

    func testAServerThatNeverAnswersTimesOut() throws {
        let silent = try DatagramPeer()  // bound, never reads
        let server = try TestServer(["dns.lua": try Self.application()])
        let started = Date()
        XCTAssertEqual(try server.get("/dns?\(silent.port)/a.test/A/300").text,
                       "error: failed to receive reply from UDP server 127.0.0.1:\(silent.port): timeout")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.5, "two tries of 300 ms each")
    }

    func testAPortNobodyListensOnIsRefused() throws {
        let port = try DatagramPeer().port  // closed again at once
        let server = try TestServer(["dns.lua": try Self.application()])
        XCTAssertEqual(try server.get("/dns?\(port)/a.test/A").text,
                       "error: failed to receive reply from UDP server 127.0.0.1:\(port): connection refused")
    }
}
