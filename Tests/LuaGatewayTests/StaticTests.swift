import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 8's static files: `DIR/public/` served before the scripts, and `luagw.web.static` as
/// an application of its own: types, validators, 304, ranges, HEAD, and no way out of the folder.
final class StaticTests: XCTestCase {
    static let hello = #"return function(e, sr) sr("200 OK", {}); return "script " .. e.REQUEST_METHOD .. " " .. e.PATH_INFO end"#

    func server(_ files: [String: String] = [:]) throws -> TestServer {
        var all = ["index.lua": Self.hello, "public/style.css": "body { color: red }\n", "public/notes/a.txt": "0123456789"]
        all.merge(files) { $1 }
        return try TestServer(all)
    }

    func testAPublicFileAnswersBeforeTheScriptsWithItsTypeAndValidators() throws {
        let server = try server()
        let response = try server.get("/style.css")
        XCTAssertEqual(response.code, 200)
        XCTAssertEqual(response.text, "body { color: red }\n")
        XCTAssertEqual(response.header("Content-Type"), "text/css; charset=utf-8")
        XCTAssertEqual(response.header("Content-Length"), "20")
        XCTAssertNotNil(response.header("ETag"))
        XCTAssertNotNil(response.header("Last-Modified"))
        XCTAssertEqual(try server.get("/notes/a.txt").text, "0123456789")
        XCTAssertEqual(try server.get("/missing.css").text, "script GET /missing.css", "no file: the scripts answer")
        let post = try server.client().request("POST /style.css HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(post.text, "script POST /style.css", "only GET and HEAD are answered from public/")
    }

    /// A folder of public/ with an index.html is served as luagw.web.static serves one: `/` for
    /// public/index.html, `/docs/` for public/docs/index.html (`/docs` redirected to it); a folder
    /// without one is left to the scripts.
    func testAFoldersIndexIsServed() throws {
        let server = try server(["public/index.html": "<h1>home</h1>", "public/docs/index.html": "<h1>docs</h1>"])
        XCTAssertEqual(try server.get("/").text, "<h1>home</h1>")
        XCTAssertEqual(try server.get("/docs/").text, "<h1>docs</h1>")
        let bare = try server.get("/docs")
        XCTAssertEqual(bare.code, 301)
        XCTAssertEqual(bare.header("Location"), "/docs/")
        XCTAssertEqual(try server.get("/notes/").text, "script GET /notes/", "no index.html: the scripts answer")
        let plain = try self.server()
        XCTAssertEqual(try plain.get("/").text, "script GET /", "no public/index.html: index.lua answers /")
    }

    func testHeadAndConditionalRequests() throws {
        let server = try server()
        let head = try server.client().request("HEAD /style.css HTTP/1.1\r\nHost: t\r\n\r\n", bodyless: true)
        XCTAssertEqual(head.code, 200)
        XCTAssertEqual(head.header("Content-Length"), "20")
        XCTAssertEqual(head.body.count, 0)
        let etag = try XCTUnwrap(head.header("ETag"))
        let modified = try XCTUnwrap(head.header("Last-Modified"))
        let byTag = try server.get("/style.css", headers: "If-None-Match: \"other\", \(etag)\r\n")
        XCTAssertEqual(byTag.code, 304)
        XCTAssertEqual(byTag.body.count, 0)
        XCTAssertEqual(try server.get("/style.css", headers: "If-None-Match: W/\(etag)\r\n").code, 304, "weak comparison")
        XCTAssertEqual(try server.get("/style.css", headers: "If-Modified-Since: \(modified)\r\n").code, 304)
        XCTAssertEqual(try server.get("/style.css", headers: "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n").code, 200)
        XCTAssertEqual(try server.get("/style.css", headers: "If-None-Match: \"other\"\r\n").code, 200)
    }

    func testOneByteRange() throws {
        let server = try server()
        let first = try server.get("/notes/a.txt", headers: "Range: bytes=2-5\r\n")
        XCTAssertEqual(first.code, 206)
        XCTAssertEqual(first.text, "2345")
        XCTAssertEqual(first.header("Content-Range"), "bytes 2-5/10")
        XCTAssertEqual(first.header("Content-Length"), "4")
        XCTAssertEqual(try server.get("/notes/a.txt", headers: "Range: bytes=-3\r\n").text, "789")
        XCTAssertEqual(try server.get("/notes/a.txt", headers: "Range: bytes=7-\r\n").text, "789")
        XCTAssertEqual(try server.get("/notes/a.txt", headers: "Range: bytes=7-100\r\n").text, "789")
        let beyond = try server.get("/notes/a.txt", headers: "Range: bytes=10-\r\n")
        XCTAssertEqual(beyond.code, 416)
        XCTAssertEqual(beyond.header("Content-Range"), "bytes */10")
        let several = try server.get("/notes/a.txt", headers: "Range: bytes=0-1, 4-5\r\n")
        XCTAssertEqual(several.code, 200, "several ranges: the whole file")
        XCTAssertEqual(several.text, "0123456789")
        let stale = try server.get("/notes/a.txt", headers: "Range: bytes=0-1\r\nIf-Range: \"stale\"\r\n")
        XCTAssertEqual(stale.code, 200, "If-Range that does not match: the whole file")
    }

    func testNoWayOutOfTheFolder() throws {
        let server = try server(["secret.txt": "TOP-SECRET", "public/.env": "PASSWORD=1"])
        try FileManager.default.createSymbolicLink(atPath: server.directory.appendingPathComponent("public/link.txt").path,
                                                   withDestinationPath: "../secret.txt")
        for path in ["/%2e%2e/secret.txt", "/notes/%2e%2e/%2e%2e/secret.txt", "/.env", "/link.txt", "/notes/..%2f..%2fsecret.txt"] {
            let response = try server.get(path)
            XCTAssertFalse(response.text.contains("TOP-SECRET") || response.text.contains("PASSWORD"), "\(path): \(response.text)")
            XCTAssertTrue(response.text.hasPrefix("script GET"), "\(path): the scripts answer, \(response.text)")
        }
        XCTAssertEqual(try server.get("/link.txt").text, "script GET /link.txt",
                       "a link out of public/ is no file of it: the scripts answer")
    }

    func testALuaFileUnderPublicIsNeverRun() throws {
        let server = try server(["public/x.lua": #"return function(e, sr) sr("200 OK", {}); return "ran" end"#])
        let response = try server.get("/x.lua")
        XCTAssertEqual(response.code, 200)
        XCTAssertTrue(response.text.hasPrefix("return function"), "served as it is")
        XCTAssertEqual(try server.get("/public/x").text, "script GET /public/x", "and not mounted")
    }

    func testTheModuleWithAFallbackAndFolderIndexes() throws {
        let server = try TestServer([
            "site.lua": #"""
                local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
                return require("luagw.web.static")(here .. "/_assets", function(e, sr)
                  sr("200 OK", {}); return "app " .. e.PATH_INFO
                end, { max_age = 60 })
                """#,
            "_assets/docs/index.html": "<p>docs</p>",
            "_assets/logo.svg": "<svg/>",
        ])
        let logo = try server.get("/site/logo.svg")
        XCTAssertEqual(logo.header("Content-Type"), "image/svg+xml")
        XCTAssertEqual(logo.header("Cache-Control"), "max-age=60")
        XCTAssertEqual(try server.get("/site/docs/").text, "<p>docs</p>")
        let bare = try server.get("/site/docs")
        XCTAssertEqual(bare.code, 301)
        XCTAssertEqual(bare.header("Location"), "/site/docs/")
        XCTAssertEqual(try server.get("/site/nothing").text, "app /nothing")
    }
}
