import Foundation
import XCTest

/// A differential script of Tests/NgxRe (Lua that returns a text, `ngx` being its host's) run as
/// `content_by_lua_block` under nginx + Lua and in a luagw request after `require "luagw.ngx"`:
/// the two texts, to be compared.
struct NgxDifferentialScript {
    let path: String

    init(_ name: String) {
        path = DocumentedPages.root.appendingPathComponent("Tests/NgxRe/\(name)").path
    }

    /// The text nginx + Lua makes (skips when nginx with Lua is not installed).
    func nginxText() throws -> String {
        let scratch = try ScratchDirectory("luagw-ngx-differential")
        defer { scratch.remove() }
        let nginx = try NginxLua(locations: """
            location /run { content_by_lua_block { ngx.print(dofile("\(path)")) } }
            """, in: scratch)
        let response = try RawClient(port: nginx.port).request("GET /run HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(response.code, 200, response.text)
        return response.text
    }

    /// The text luagw makes.
    func luagwText() throws -> String {
        try Self.luagwText(of: "return dofile(\"\(path)\")")
    }

    /// The text `body` (Lua statements ending in `return <string>`, with `local ngx = require
    /// "luagw.ngx"` before them) makes in a luagw request.
    static func luagwText(of body: String) throws -> String {
        let server = try TestServer(["t.lua": """
            local ngx = require "luagw.ngx"
            local function test()
            \(body)
            end
            return function(e, sr)
              local text = test()
              sr(200, { ["Content-Type"] = "text/plain" })
              return text
            end
            """])
        let response = try server.get("/t")
        XCTAssertEqual(response.code, 200, response.text)
        return response.text
    }

    /// Asserts that luagw gives nginx + Lua's text, line for line, and that the text has more
    /// than `lines` lines (the script ran to its end on both).
    func assertSameText(moreThan lines: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try nginxText()
        let actual = try luagwText()
        XCTAssertGreaterThan(expected.split(separator: "\n").count, lines, file: file, line: line)
        let pairs = zip(expected.split(separator: "\n", omittingEmptySubsequences: false),
                        actual.split(separator: "\n", omittingEmptySubsequences: false))
        for (nginxLine, luagwLine) in pairs where nginxLine != luagwLine {
            XCTFail("nginx + Lua: \(nginxLine)\nluagw:       \(luagwLine)", file: file, line: line)
        }
        XCTAssertEqual(actual, expected, file: file, line: line)
    }
}
