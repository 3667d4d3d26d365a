import XCTest
@testable import LuaGateway

/// SPEC 8's convention: a folder's `_middleware.lua` wraps every script at or below it, the
/// outermost folder's last; applied again on reload, a broken one keeping its last good version.
final class MiddlewareTests: XCTestCase {
    /// A middleware that adds `tag` around the body and says which mount it wrapped.
    static func tagging(_ tag: String) -> String {
        #"""
        return function(app, info)
          return function(environ, start_response)
            local body = app(environ, start_response)
            return "\#(tag)(" .. info.mount .. ":" .. body .. ")"
          end
        end
        """#
    }

    static let hello = #"return function(e, sr) sr("200 OK", {}); return "hi" end"#

    func testFoldersWrapInnermostFirstAndOnlyTheirOwnScripts() throws {
        let server = try TestServer([
            "_middleware.lua": Self.tagging("root"),
            "api/_middleware.lua": Self.tagging("api"),
            "api/users.lua": Self.hello,
            "page.lua": Self.hello,
            "other/thing.lua": Self.hello,
        ])
        XCTAssertEqual(try server.get("/api/users").text, "root(/api/users:api(/api/users:hi))")
        XCTAssertEqual(try server.get("/page").text, "root(/page:hi)")
        XCTAssertEqual(try server.get("/other/thing").text, "root(/other/thing:hi)")
    }

    func testAMiddlewareIsNeverMountedItself() throws {
        let server = try TestServer(["_middleware.lua": Self.tagging("m"), "index.lua": Self.hello])
        XCTAssertEqual(try server.get("/").text, "m(/:hi)")
        XCTAssertEqual(try server.get("/_middleware").text, "m(/:hi)", "the root script answers, not the middleware")
    }

    func testAChangedMiddlewareIsAppliedOnReloadAndABrokenOneKeepsItsLastGoodVersion() throws {
        let server = try TestServer(["_middleware.lua": Self.tagging("v1"), "a.lua": Self.hello])
        XCTAssertEqual(try server.get("/a").text, "v1(/a:hi)")
        try server.write("_middleware.lua", Self.tagging("v2"))
        XCTAssertEqual(server.server.reload(), 2)
        XCTAssertEqual(try server.get("/a").text, "v2(/a:hi)")
        try server.write("_middleware.lua", "return function(app, info) error('broken wrapper') end")
        _ = server.server.reload()
        XCTAssertEqual(try server.get("/a").text, "v2(/a:hi)", "the last good middleware keeps serving")
        for broken in ["return 42", "return function(app, info"] {  // not a function; does not compile
            try server.write("_middleware.lua", broken)
            _ = server.server.reload()
            XCTAssertEqual(try server.get("/a").text, "v2(/a:hi)", broken)
        }
        try server.write("_middleware.lua", Self.tagging("v3"))
        _ = server.server.reload()
        XCTAssertEqual(try server.get("/a").text, "v3(/a:hi)")
    }

    func testANewScriptUnderABrokenMiddlewareAnswers500() throws {
        let server = try TestServer(["_middleware.lua": "return function(app) return 'not an app' end", "a.lua": Self.hello])
        let response = try server.get("/a")
        XCTAssertEqual(response.code, 500)
    }

    func testAMiddlewareRunsOncePerStateAndWrapsEachScript() throws {
        let server = try TestServer([
            "_middleware.lua": #"""
                local loads = 0
                loads = loads + 1
                return function(app, info)
                  return function(environ, start_response)
                    environ["test.loads"] = loads
                    return app(environ, start_response)
                  end
                end
                """#,
            "a.lua": #"return function(e, sr) sr("200 OK", {}); return tostring(e["test.loads"]) end"#,
            "b.lua": #"return function(e, sr) sr("200 OK", {}); return tostring(e["test.loads"]) end"#,
        ])
        XCTAssertEqual(try server.get("/a").text, "1")
        XCTAssertEqual(try server.get("/b").text, "1")
    }
}
