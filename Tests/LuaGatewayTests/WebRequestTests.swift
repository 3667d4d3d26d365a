import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 8's `luagw.web.request` and `luagw.web.response` over real sockets: query and form
/// values (first and all), multipart uploads streamed to temporary files that go away with the
/// request, cookies both ways, headers in any case, JSON both ways, redirects.
final class WebRequestTests: XCTestCase {
    static let echo = #"""
        local web = { request = require "luagw.web.request", response = require "luagw.web.response" }
        return function(environ, start_response)
          local req = web.request(environ)
          local action = req.query.action
          if action == "params" then
            return web.response{ body = table.concat({ req.method, req.path, tostring(req.query.a), tostring(req.form.b),
              tostring(req.params.a), table.concat(req:all("a"), ","), req.headers["x-custom-thing"] or "-",
              req.headers["Content-Type"] or "-" }, "|") }(environ, start_response)
          elseif action == "upload" then
            local f = req.files.upload
            local data = assert(io.open(f.path, "rb")):read("a")
            _G.last_upload = f.path
            return web.response{ body = table.concat({ f.filename, f.type, f.size, #data, data:sub(1, 4), data:sub(-4),
              req.form.title }, "|") }(environ, start_response)
          elseif action == "gone" then
            local f = io.open(_G.last_upload or "/nonexistent", "rb")
            if f then f:close() end
            return web.response{ body = f and "still there" or "removed" }(environ, start_response)
          elseif action == "cookies" then
            local res = web.response{ status = 201, body = tostring(req.cookies.sid) .. "|" .. tostring(req.cookies.theme) }
            res:set_cookie("sid", "new", { path = "/", max_age = 60, http_only = true, same_site = "Lax" })
            res:delete_cookie("old")
            return res(environ, start_response)
          elseif action == "json" then
            local value, err = req:json()
            if not value then return web.response.json({ error = err }, 400)(environ, start_response) end
            return web.response.json({ sum = value.a + value.b, list = value.list })(environ, start_response)
          elseif action == "redirect" then
            return web.response.redirect("/elsewhere", 303)(environ, start_response)
          end
          return web.response{ status = 404, body = "?" }(environ, start_response)
        end
        """#

    func testQueryFormAndHeaders() throws {
        let server = try TestServer(["r.lua": Self.echo])
        let body = "b=form+value&a=from%20form"
        let response = try server.client().request(
            "POST /r/x?action=params&a=1&a=2 HTTP/1.1\r\nHost: t\r\nX-Custom-Thing: yes\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertEqual(response.text,
                       "POST|/r/x|1|form value|1|1,2,from form|yes|application/x-www-form-urlencoded")
    }

    func testAMultipartUploadIsStreamedToAFileThatGoesAwayWithTheRequest() throws {
        let server = try TestServer(["r.lua": Self.echo], bodyBufferLimit: 64 * 1024)
        let boundary = "----luagw-test-boundary"
        var payload = [UInt8]("HEAD".utf8)
        payload += [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)  // 3 MiB: many reads, across the boundary
        payload += Array("\r\n--not-the-boundary\r\nTAIL".utf8)
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nMy file\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"big.bin\"\r\n".utf8)
        body += Array("Content-Type: application/octet-stream\r\n\r\n".utf8) + payload
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let client = try server.client()
        try client.send("POST /r?action=upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\n"
                        + "Content-Length: \(body.count)\r\n\r\n")
        try client.send(body)
        let response = try client.readResponse()
        XCTAssertEqual(response.text, "big.bin|application/octet-stream|\(payload.count)|\(payload.count)|HEAD|TAIL|My file")
        XCTAssertEqual(try client.request("GET /r?action=gone HTTP/1.1\r\nHost: t\r\n\r\n").text, "removed")
    }

    func testCookiesBothWays() throws {
        let server = try TestServer(["r.lua": Self.echo])
        let response = try server.get("/r?action=cookies", headers: "Cookie: sid=abc; theme=\"dark\"\r\n")
        XCTAssertEqual(response.code, 201)
        XCTAssertEqual(response.text, "abc|dark")
        let cookies = response.headers("Set-Cookie")
        XCTAssertEqual(cookies.first, "sid=new; Path=/; Max-Age=60; HttpOnly; SameSite=Lax")
        XCTAssertEqual(cookies.last, "old=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    }

    /// A body that cannot be parsed as what it says it is (a multipart without its boundary, as
    /// examples/form.lua got one): 400 with the reason, at info, not a Lua error.
    func testABodyThatDoesNotParseIs400() throws {
        let log = LogCapture()
        let server = try TestServer(["r.lua": Self.echo], logger: log.logger)
        let body = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n"
        let response = try server.client().request("POST /r?action=params HTTP/1.1\r\nHost: t\r\n"
            + "Content-Type: multipart/form-data\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertEqual(response.code, 400)
        XCTAssertEqual(response.text, "Bad Request: multipart/form-data without a boundary\n")
        XCTAssertFalse(log.messages.contains { $0.hasPrefix("error") || $0.contains("request failed") }, log.messages.joined(separator: "\n"))
        XCTAssertTrue(log.contains("request ended: bad request body: multipart/form-data without a boundary"))
        XCTAssertEqual(try server.get("/r?action=params&a=1").code, 200, "the state goes on")
    }

    func testJSONBothWaysAndARedirect() throws {
        let server = try TestServer(["r.lua": Self.echo])
        let json = #"{"a": 2, "b": 40, "list": [1, "two"]}"#
        let ok = try server.client().request("POST /r?action=json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                             + "Content-Length: \(json.utf8.count)\r\n\r\n\(json)")
        XCTAssertEqual(ok.header("Content-Type"), "application/json")
        let decoded = try JSONSerialization.jsonObject(with: Data(ok.body)) as? [String: Any]
        XCTAssertEqual(decoded?["sum"] as? Int, 42)
        XCTAssertEqual((decoded?["list"] as? [Any])?.count, 2)
        // curl -d '{...}' labels JSON a form: req:json() reads it all the same.
        let labelled = try server.client().request("POST /r?action=json HTTP/1.1\r\nHost: t\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)")
        XCTAssertEqual(labelled.code, 200, labelled.text)
        XCTAssertTrue(labelled.text.contains("\"sum\":42"), labelled.text)
        let bad = try server.client().request("POST /r?action=json HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n{nope")
        XCTAssertEqual(bad.code, 400)
        let redirect = try server.get("/r?action=redirect")
        XCTAssertEqual(redirect.code, 303)
        XCTAssertEqual(redirect.header("Location"), "/elsewhere")
    }
}
