import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 7's UDP cosocket (`ngx.socket.udp`, `luagw.socket.udp`) against datagram peers the test
/// runs: one datagram a receive, timeouts that leave the socket usable, a refused peer, names,
/// a Unix peer, the errors of misuse, and sockets closed when their request ends.
final class UDPSocketTests: XCTestCase {
    /// Answers each datagram twice, "A:" and "B:" before it; keeps quiet on "quiet".
    static func twice(_ datagram: [UInt8]) -> [[UInt8]] {
        datagram == Array("quiet".utf8) ? [] : [Array("A:".utf8) + datagram, Array("B:".utf8) + datagram]
    }

    func testEachReceiveIsOneDatagramCutToItsSize() throws {
        let peer = try DatagramPeer(answer: Self.twice)
        let server = try TestServer(["u.lua": #"""
            require "luagw.ngx"
            return function(e, sr)
              local sock = ngx.socket.udp()
              local out = { sock:setpeername("127.0.0.1", tonumber(e.QUERY_STRING)) }
              out[#out + 1] = sock:send({ "he", { "l", "lo" } })
              out[#out + 1] = sock:receive()
              out[#out + 1] = sock:receive()
              sock:send(12345)
              out[#out + 1] = sock:receive(4)
              out[#out + 1] = sock:receive(100)
              out[#out + 1] = sock:close()
              sr(200, {})
              return table.concat(out, " ")
            end
            """#])
        XCTAssertEqual(try server.get("/u?\(peer.port)").text, "1 1 A:hello B:hello A:12 B:12345 1")
    }

    func testATimeoutLeavesTheSocketUsable() throws {
        let peer = try DatagramPeer(answer: Self.twice)
        let server = try TestServer(["u.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              local sock = luagw.socket.udp()
              sock:settimeout(200)
              assert(sock:setpeername("127.0.0.1", tonumber(e.QUERY_STRING)))
              sock:send("quiet")
              local started = luagw.now()
              local data, err = sock:receive()
              local waited = luagw.now() - started
              sock:send("again")
              local later = sock:receive()
              sr(200, {})
              return table.concat({ tostring(data), err, tostring(waited >= 0.15), later }, " ")
            end
            """#])
        XCTAssertEqual(try server.get("/u?\(peer.port)").text, "nil timeout true A:again")
    }

    func testThePeersHostRefusingAndAClosedSocketSaySo() throws {
        let port = try DatagramPeer().port  // closed again at once: nobody reads there
        let server = try TestServer(["u.lua": #"""
            require "luagw.ngx"
            return function(e, sr)
              local sock = ngx.socket.udp()
              local out = {}
              local function note(a, b) out[#out + 1] = tostring(a) .. (b and ("/" .. b) or "") end
              note(sock:send("early"))
              note(sock:receive())
              note(sock:setpeername("127.0.0.1", tonumber(e.QUERY_STRING)))
              note(sock:send("anyone?"))
              note(sock:receive())
              note(sock:close())
              note(sock:close())
              note(sock:send("late"))
              note(sock:receive())
              sr(200, {})
              return table.concat(out, " ")
            end
            """#])
        XCTAssertEqual(try server.get("/u?\(port)").text,
                       "nil/closed nil/closed 1 1 nil/connection refused 1 nil/closed nil/closed nil/closed")
    }

    func testNamesPortsAndUnixPeers() throws {
        let peer = try DatagramPeer(answer: Self.twice)
        let server = try TestServer(["u.lua": #"""
            require "luagw.ngx"
            return function(e, sr)
              local port, path = e.QUERY_STRING:match("^(%d+):(.*)$")
              local out = {}
              local function note(a, b) out[#out + 1] = tostring(a) .. (b and ("/" .. b) or "") end
              local sock = ngx.socket.udp()
              note(sock:setpeername("127.0.0.1", 70000))
              note(sock:setpeername("no-such-host.invalid", 53))
              note(sock:setpeername("localhost", tonumber(port)))
              sock:send("by name")
              note(sock:receive())
              note(sock:setpeername("unix:" .. path))
              sock:send("by path")
              note(sock:receive())
              note(pcall(sock.setpeername, sock, "127.0.0.1"))
              sr(200, {})
              return table.concat(out, " | ")
            end
            """#])
        let path = server.directory.appendingPathComponent("peer.sock").path
        let unixPeer = try DatagramPeer(path: path, answer: Self.twice)
        XCTAssertEqual(try server.get("/u?\(peer.port):\(path)").text,
                       "nil/bad port number: 70000 | nil/no resolver answer | 1 | A:by name | 1 | A:by path | "
                       + "false/bad argument #2 to 'setpeername' (port expected)")
        withExtendedLifetime(unixPeer) {}
    }

    func testSocketsAreClosedWhenTheRequestEndsAndBelongToIt() throws {
        let peer = try DatagramPeer(answer: Self.twice)
        let server = try TestServer(["u.lua": #"""
            require "luagw.ngx"
            local kept
            return function(e, sr)
              if e.PATH_INFO == "/reuse" then  -- a socket of an earlier request is not this one's
                local data, err = kept:receive()
                sr(200, {})
                return tostring(data) .. " " .. err
              end
              kept = ngx.socket.udp()
              assert(kept:setpeername("127.0.0.1", tonumber(e.QUERY_STRING)))
              if e.PATH_INFO == "/fail" then error("failing with a socket open") end
              sr(200, {})
              return "left open"
            end
            """#], workers: 1)
        XCTAssertEqual(try server.get("/u/leave?\(peer.port)").text, "left open")
        XCTAssertEqual(try server.get("/u/reuse").text, "nil closed")
        let before = SocketTests.openDescriptors()
        for _ in 0..<300 {
            XCTAssertEqual(try server.get("/u/leave?\(peer.port)").code, 200)
            XCTAssertEqual(try server.get("/u/fail?\(peer.port)").code, 500)
        }
        waitUntil("the sockets of 600 requests closed") { SocketTests.openDescriptors() <= before + 8 }
        XCTAssertEqual(server.server.workers!.collect { $0.sockets.counts.open }.reduce(0, +), 0, "no socket is held")
    }

    func testWhereLuaCannotWaitTheErrorSaysSo() throws {
        let server = try TestServer(["u.lua": #"""
            require "luagw.ngx"
            local sock = ngx.socket.udp()
            local ok, err = pcall(sock.setpeername, sock, "127.0.0.1", 53)
            return function(e, sr)
              sr(200, {})
              return err
            end
            """#])
        XCTAssertEqual(try server.get("/u").text, "setpeername: cannot wait here (Lua cannot yield in a script's top level "
                       + "while it loads, a table.sort comparator, a string.gsub callback or a __gc metamethod)")
    }
}
