import Foundation
import XCTest
@testable import LuaGateway

/// `require "luagw.socket"`, the LuaSocket look-alike: LuaSocket's own HTTP client (Debian's
/// lua-socket, unchanged) with `create = require("luagw.socket").tcp`, against luagw itself on
/// one worker: it could not answer itself if the client blocked the loop.
final class LuaSocketTests: XCTestCase {
    static let scripts = [
        "hello.lua": #"return function(e, sr) sr(200, {{"X-From", "upstream"}}); return "hello " .. e.QUERY_STRING end"#,
        "fetch.lua": #"""
            local http = require "socket.http"
            local ltn12 = require "ltn12"
            local luasocket = require "luagw.socket"
            return function(e, sr)
              local parts = {}
              local ok, code, headers = http.request {
                url = "http://127.0.0.1:" .. e.QUERY_STRING .. "/hello?via-luasocket",
                sink = ltn12.sink.table(parts),
                create = luasocket.tcp,
              }
              sr(200, {})
              return table.concat({ tostring(ok), tostring(code), tostring(headers and headers["x-from"]), table.concat(parts) }, "|")
            end
            """#,
        "raw.lua": #"""
            local socket = require "luagw.socket"
            return function(e, sr)
              local c = assert(socket.connect("127.0.0.1", tonumber(e.QUERY_STRING)))
              c:settimeout(5)
              local last = c:send("GET /hello?raw HTTP/1.0\r\nHost: x\r\n\r\n", 1)
              local status = c:receive("*l")
              local rest = c:receive("*a")
              c:close()
              sr(200, {})
              return table.concat({ last, status, rest:match("hello raw$") or rest }, "|")
            end
            """#,
    ]

    func testLuaSocketsHTTPClientRunsOverCosockets() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/lua/5.4/socket/http.lua")
                || FileManager.default.fileExists(atPath: "/usr/share/lua/5.1/socket/http.lua") else {
            throw XCTSkip("lua-socket is not installed: run scripts/test")
        }
        let server = try TestServer(Self.scripts, workers: 1)
        XCTAssertEqual(try server.get("/fetch?\(server.port)").text, "1|200|upstream|hello via-luasocket")
    }

    func testLuaSocketsReturnValues() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        XCTAssertEqual(try server.get("/raw?\(server.port)").text, "36|HTTP/1.0 200 OK|hello raw")
    }
}
