import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 7 against memcached: OpenResty's memcached client (Debian's lua-nginx-memcached,
/// unchanged) through `require "luagw.ngx"`.
final class MemcachedTests: XCTestCase {
    func testSetGetIncrAndReuse() throws {
        let memcached = try PeerServer.memcached()
        let prelude = try PeerServer.openRestyClientPrelude("memcached")
        let server = try TestServer(["m.lua": """
            \(prelude)
            return function(e, sr)
              local mc = memcached:new()
              mc:set_timeout(5000)
              assert(mc:connect("127.0.0.1", \(memcached.port)))
              local out
              if e.PATH_INFO == "/set" then
                out = tostring(mc:set("a key/with spaces", e.QUERY_STRING))
              elseif e.PATH_INFO == "/get" then
                out = tostring((mc:get("a key/with spaces")))
              elseif e.PATH_INFO == "/incr" then
                mc:add("n", 0)
                out = tostring((mc:incr("n", 5)))
              else
                out = tostring(mc:get_reused_times())
              end
              mc:set_keepalive(10000, 10)
              sr(200, {})
              return out
            end
            """], workers: 1)
        XCTAssertEqual(try server.get("/m/set?v%201").text, "1")
        XCTAssertEqual(try server.get("/m/get").text, "v%201")
        XCTAssertEqual(try server.get("/m/incr").text, "5")
        XCTAssertEqual(try server.get("/m/incr").text, "10")
        XCTAssertGreaterThan(Int(try server.get("/m/reused").text) ?? 0, 0)
    }
}
