import Foundation
import XCTest
@testable import LuaGateway

/// Three content handlers written for OpenResty, served by nginx + Lua (`content_by_lua_file`) and
/// by luagw (`require("luagw.ngx").app(path)`), unchanged, compared byte for byte: statuses and
/// reasons, bodies, the headers the handlers and nginx's pages set. What differs on purpose:
/// `Server` and `Date` (each server's own), the signature of nginx's pages (`nginx/VERSION` there,
/// `luagw` here), and the framing (nginx streams a handler's output chunked; luagw sends a short
/// one whole, with Content-Length): bodies are compared decoded.
final class NgxContentHandlerTests: XCTestCase {
    static let handlers = [
        "hello.lua": """
            ngx.say("Hello, world!")
            """,
        "form.lua": """
            ngx.req.read_body()
            local args, err = ngx.req.get_post_args()
            if not args then
              ngx.status = ngx.HTTP_BAD_REQUEST
              ngx.say("failed to get post args: ", err)
              return
            end
            ngx.header["Content-Type"] = "text/plain; charset=utf-8"
            local names = {}
            for name in pairs(args) do names[#names + 1] = name end
            table.sort(names)
            for _, name in ipairs(names) do
              local value = args[name]
              if type(value) == "table" then
                ngx.say(name, ": ", table.concat(value, ", "))
              else
                ngx.say(name, ": ", tostring(value))
              end
            end
            """,
        "api.lua": #"""
            local users = { ["1"] = "Ada", ["2"] = "Grace \"Amazing\" Hopper" }
            local function quoted(s)
              return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
            end
            ngx.ctx.method = ngx.req.get_method()
            local id = ngx.var.uri:match("^/api/users/(%d+)$")
            if not id or not users[id] then
              return ngx.exit(ngx.HTTP_NOT_FOUND)
            end
            if ngx.ctx.method ~= "GET" then
              ngx.header["Allow"] = "GET"
              return ngx.exit(ngx.HTTP_NOT_ALLOWED)
            end
            ngx.ctx.user = users[id]
            ngx.header.content_type = "application/json"
            ngx.header["X-User-Id"] = id
            local fields = ngx.var.arg_fields
            ngx.say('{"id":', id, ',"name":', quoted(ngx.ctx.user), ',"method":', quoted(ngx.ctx.method),
                    ',"fields":', fields and quoted(fields) or "null", ',"args":', quoted(ngx.var.args or ""), "}")
            """#,
    ]

    /// The requests both servers answer: request line, header lines, body.
    static let requests = [
        ("GET /hello HTTP/1.1", "", ""),
        ("POST /form HTTP/1.1", "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 26\r\n",
         "b=2&a=1&a=3&flag&c=%41+b&="),
        ("GET /form HTTP/1.1", "", ""),
        ("GET /api/users/1?fields=name HTTP/1.1", "", ""),
        ("GET /api/users/2 HTTP/1.1", "", ""),
        ("GET /api/users/9 HTTP/1.1", "", ""),
        ("POST /api/users/1 HTTP/1.1", "Content-Length: 0\r\n", ""),
        ("GET /api/other HTTP/1.1", "", ""),
    ]

    /// The headers compared: those the handlers and nginx's pages set.
    static let compared = ["Content-Type", "X-User-Id", "Allow", "Location"]

    func testHandlersAnswerAsNginxLuaAnswers() throws {
        let scratch = try ScratchDirectory("luagw-ngx-handlers")
        defer { scratch.remove() }
        for (name, source) in Self.handlers { try scratch.write("_handlers/" + name, source) }
        let dir = scratch.path
        let nginx = try NginxLua(locations: """
            location = /hello { content_by_lua_file \(dir)/_handlers/hello.lua; }
            location = /form { content_by_lua_file \(dir)/_handlers/form.lua; }
            location /api/ { content_by_lua_file \(dir)/_handlers/api.lua; }
            """, in: scratch)
        var scripts = Self.handlers.mapKeys { "_handlers/" + $0 }
        for name in ["hello", "form", "api"] {
            scripts[name + ".lua"] = "return require('luagw.ngx').app('_handlers/\(name).lua')"
        }
        let server = try TestServer(scripts)
        for (request, headers, body) in Self.requests {
            let raw = "\(request)\r\nHost: t\r\n\(headers)\r\n\(body)"
            let expected = try RawClient(port: nginx.port).request(raw)
            let answered = try RawClient(port: server.port).request(raw)
            XCTAssertEqual(answered.statusLine, expected.statusLine, request)
            for name in Self.compared {
                XCTAssertEqual(answered.headers(name), expected.headers(name), "\(name) of \(request)")
            }
            let signed = expected.text.replacingOccurrences(of: "<hr><center>nginx/[0-9.]+</center>",
                                                            with: "<hr><center>luagw</center>", options: .regularExpression)
            XCTAssertEqual(answered.text, signed, request)
            if expected.code >= 400 { XCTAssertNotEqual(signed, expected.text, "nginx's page, signed by luagw here") }
        }
    }
}

extension NgxContentHandlerTests {
    /// Debian's lua-nginx-cookie, unchanged, in the same handler under both: it keeps `ngx.header`
    /// from when it loads (the first request) and reuses the table it assigned to `Set-Cookie`.
    func testLuaNginxCookieRunsUnchanged() throws {
        guard let peer = ProcessInfo.processInfo.environment["LUAGW_PEER_LUA"],
              FileManager.default.fileExists(atPath: peer + "/nginx/cookie.lua") else {
            throw XCTSkip("lua-nginx-cookie is not unpacked: run scripts/test")
        }
        let handler = """
            local ck = require "nginx.cookie"
            local cookie = ck:new()
            local lang, err = cookie:get("lang")
            for i, key in ipairs({ "a", "b", "c" }) do
              assert(cookie:set({ key = key, value = tostring(i), path = "/", httponly = i == 2, max_age = i == 3 and 60 or nil }))
            end
            assert(cookie:set({ key = "a", value = "1", path = "/" }))  -- set already: not again
            local all = cookie:get_all() or {}
            local names = {}
            for name, value in pairs(all) do names[#names + 1] = name .. "=" .. value end
            table.sort(names)
            ngx.say("lang=", tostring(lang), " ", tostring(err), " all=", table.concat(names, ","))
            """
        let scratch = try ScratchDirectory("luagw-ngx-cookie")
        defer { scratch.remove() }
        try scratch.write("_handlers/cookie.lua", handler)
        let nginx = try NginxLua(locations: """
            location = /cookie { content_by_lua_block {
                package.path = "\(peer)/?.lua;" .. package.path
                dofile("\(scratch.path)/_handlers/cookie.lua")
            } }
            """, in: scratch)
        let server = try TestServer(["_handlers/cookie.lua": handler, "cookie.lua": """
            package.path = "\(peer)/?.lua;" .. package.path
            return require("luagw.ngx").app("_handlers/cookie.lua")
            """])
        for cookies in ["", "Cookie: lang=en; theme=dark\r\n", "Cookie: x=1\r\n"] {
            let raw = "GET /cookie HTTP/1.1\r\nHost: t\r\n\(cookies)\r\n"
            let expected = try RawClient(port: nginx.port).request(raw)
            let answered = try RawClient(port: server.port).request(raw)
            XCTAssertEqual(expected.headers("Set-Cookie"), ["a=1; Path=/", "b=2; Path=/; HttpOnly", "c=3; Max-Age=60; Path=/"])
            XCTAssertEqual(answered.headers("Set-Cookie"), expected.headers("Set-Cookie"), cookies)
            XCTAssertEqual(answered.text, expected.text, cookies)
        }
    }
}

private extension Dictionary where Key == String {
    func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
