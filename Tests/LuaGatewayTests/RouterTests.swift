import XCTest
@testable import LuaGateway

/// SPEC 8's `luagw.web.router` and `luagw.web.mount` over real sockets: params, optional parts,
/// splats, 405 with Allow, 404, url_for below SCRIPT_NAME; mounts by prefix and by host.
final class RouterTests: XCTestCase {
    static let routes = #"""
        local router = require "luagw.web.router"
        local r = router.new()
        local function show(environ, start_response)
          local keys = {}
          for k, v in pairs(environ["luagw.params"]) do keys[#keys + 1] = k .. "=" .. v end
          table.sort(keys)
          start_response("200 OK", { { "Content-Type", "text/plain" } })
          return environ.REQUEST_METHOD .. " " .. environ["luagw.route"] .. " " .. table.concat(keys, "&")
        end
        r:get("/users/:id", show, { name = "user" })
        r:post("/users", show)
        r:route({ "GET", "PUT" }, "/files/*", show, { name = "file" })
        r:get("/archive/:year(/:month(/:day))", show, { name = "archive" })
        r:get("/links", function(environ, start_response)
          start_response("200 OK", {})
          return r:url_for("user", { id = "a b/c" }) .. " " .. r:url_for("archive", { year = 2026 }) .. " "
            .. r:url_for("archive", { year = 2026, month = 11 }) .. " " .. r:url_for("file", { ["*"] = "x/y.txt" })
        end)
        return r
        """#

    func testParamsOptionalPartsAndSplats() throws {
        let server = try TestServer(["app.lua": Self.routes])
        XCTAssertEqual(try server.get("/app/users/42").text, "GET /users/:id id=42")
        XCTAssertEqual(try server.get("/app/users/%C3%A9t%C3%A9").text, "GET /users/:id id=été", "decoded bytes")
        XCTAssertEqual(try server.get("/app/files/a/b/c.txt").text, "GET /files/* *=a/b/c.txt")
        XCTAssertEqual(try server.get("/app/archive/2026").text, "GET /archive/:year(/:month(/:day)) year=2026")
        XCTAssertEqual(try server.get("/app/archive/2026/11/27").text,
                       "GET /archive/:year(/:month(/:day)) day=27&month=11&year=2026")
        let post = try server.client().request("POST /app/users HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(post.text, "POST /users ")
        let head = try server.client().request("HEAD /app/users/1 HTTP/1.1\r\nHost: t\r\n\r\n", bodyless: true)
        XCTAssertEqual(head.code, 200, "a GET route answers HEAD")
    }

    func testOtherMethods405AndNoMatch404() throws {
        let server = try TestServer(["app.lua": Self.routes])
        let delete = try server.client().request("DELETE /app/users/42 HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(delete.code, 405)
        XCTAssertEqual(delete.header("Allow"), "GET, HEAD")
        let post = try server.client().request("POST /app/files/x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(post.header("Allow"), "GET, HEAD, PUT")
        XCTAssertEqual(try server.get("/app/nowhere").code, 404)
        XCTAssertEqual(try server.get("/app/users/1/more").code, 404, ":id is one segment")
    }

    func testUrlForIsBelowScriptNameAndEscapesParams() throws {
        let server = try TestServer(["app.lua": Self.routes])
        XCTAssertEqual(try server.get("/app/links").text,
                       "/app/users/a%20b%2Fc /app/archive/2026 /app/archive/2026/11 /app/files/x/y.txt")
    }

    func testMountByPrefixAndByHost() throws {
        let server = try TestServer(["index.lua": #"""
            local mount = require "luagw.web.mount"
            local function show(name)
              return function(environ, start_response)
                start_response("200 OK", {})
                return name .. " [" .. environ.SCRIPT_NAME .. "] [" .. environ.PATH_INFO .. "]"
              end
            end
            return mount{ ["/api"] = show("api"), ["/api/v2"] = show("v2"), ["/"] = show("site"),
                          ["//admin.example/"] = show("admin"), ["//admin.example/api"] = show("admin-api") }
            """#])
        XCTAssertEqual(try server.get("/api/users").text, "api [/api] [/users]")
        XCTAssertEqual(try server.get("/api").text, "api [/api] []")
        XCTAssertEqual(try server.get("/api/v2/x").text, "v2 [/api/v2] [/x]", "the longest prefix")
        XCTAssertEqual(try server.get("/apis").text, "site [] [/apis]", "whole segments only")
        XCTAssertEqual(try server.get("/").text, "site [] [/]")
        let admin = try server.client().request("GET /api/x HTTP/1.1\r\nHost: Admin.Example:8080\r\n\r\n")
        XCTAssertEqual(admin.text, "admin-api [/api] [/x]", "a host's mounts first")
        let adminRoot = try server.client().request("GET /x HTTP/1.1\r\nHost: admin.example\r\n\r\n")
        XCTAssertEqual(adminRoot.text, "admin [] [/x]")
    }

    func testAMountedRouterBuildsItsLinksBelowItsMount() throws {
        let server = try TestServer([
            "index.lua": #"return require("luagw.web.mount"){ ["/blog"] = require("_lib.blog") }"#,
            "_lib/blog.lua": #"""
                local r = require("luagw.web.router").new()
                r:get("/posts/:id", function(e, sr) sr("200 OK", {}); return r:url_for("post", { id = 7 }) end, { name = "post" })
                return r
                """#,
        ])
        XCTAssertEqual(try server.get("/blog/posts/1").text, "/blog/posts/7")
    }
}
