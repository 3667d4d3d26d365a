import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 9: luagw.compat51 (`require "luagw.compat51"` or `--compat51`) gives Lua 5.1-era code
/// the globals 5.4 removed; Debian's Orbit (a Lua 5.1 framework) serves an application with routes.
final class Compat51Tests: XCTestCase {
    static let checks = #"""
        local function reads() return greeting end
        local function also_reads() return greeting end
        local function rebinds_itself()
          setfenv(1, { x = "from the new environment" })
          return x
        end
        return function(e, sr)
          local a, b, c = unpack({ 1, 2, 3 })
          local env = { greeting = "from a table" }
          setfenv(reads, env)
          local greeter = require("legacy.greeter")
          local found = {}
          for word in string.gfind("one two", "%a+") do found[#found + 1] = word end
          local lines = {
            "unpack " .. a .. b .. c,
            "loadstring " .. loadstring("return 1 + 1")(),
            "setfenv " .. reads() .. " / " .. tostring(also_reads()),
            "getfenv " .. tostring(getfenv(reads) == env) .. " " .. tostring(getfenv(also_reads) ~= env),
            "level " .. rebinds_itself(),
            "module " .. greeter.hello("you") .. " " .. greeter._NAME .. " " .. tostring(legacy.greeter == greeter),
            "getn " .. table.getn({ 1, 2, 3, 4 }) .. " maxn " .. table.maxn({ [7] = true }),
            "mod " .. math.mod(7, 3) .. " pow " .. math.pow(2, 10) .. " ldexp " .. math.ldexp(0.5, 3),
            "gfind " .. table.concat(found, ","),
          }
          sr(200, { { "Content-Type", "text/plain" } })
          return table.concat(lines, "\n")
        end
        """#

    static let greeter = #"""
        module("legacy.greeter", package.seeall)
        local punctuation = "!"
        function hello(name) return "hello " .. name .. punctuation .. " " .. type(print) end
        """#

    static let expected = """
        unpack 123
        loadstring 2
        setfenv from a table / nil
        getfenv true true
        level from the new environment
        module hello you! function legacy.greeter true
        getn 4 maxn 7
        mod 1 pow 1024.0 ldexp 4.0
        gfind one,two
        """

    func testRequiringItGivesTheFiveOneGlobals() throws {
        let server = try TestServer(["checks.lua": "require 'luagw.compat51'\n" + Self.checks,
                                     "legacy/greeter.lua": Self.greeter])
        let response = try server.get("/checks")
        XCTAssertEqual(response.code, 200, response.text)
        XCTAssertEqual(response.text, Self.expected)
    }

    func testTheFlagGivesThemToEveryScriptAndTheyAreAbsentWithoutIt() throws {
        let probe = #"return function(e, sr) sr(200, {}); return tostring(unpack) .. " " .. tostring(module) end"#
        var lua = LuaLimits()
        lua.compat51 = true
        let with = try TestServer(["checks.lua": Self.checks, "legacy/greeter.lua": Self.greeter, "probe.lua": probe], lua: lua)
        XCTAssertEqual(try with.get("/checks").text, Self.expected)
        XCTAssertTrue(try with.get("/probe").text.hasPrefix("function: "))
        let without = try TestServer(["probe.lua": probe])
        XCTAssertEqual(try without.get("/probe").text, "nil nil", "off by default")
    }

    func testAnOrbitApplicationWithRoutesRuns() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/lua/5.1/orbit.lua") else {
            throw XCTSkip("Debian's lua-orbit is not installed: scripts/test installs it")
        }
        var lua = LuaLimits()
        lua.luaPath = [WSAPITests.debianWSAPI, "/usr/share/lua/5.1"]
        lua.compat51 = true
        // Orbit's own tutorial style: module(..., package.seeall, orbit.new), handlers as globals.
        let server = try TestServer(["blog.lua": #"""
            local orbit = require "orbit"
            module("blog", package.seeall, orbit.new)

            function index(web)
              return "<h1>Posts</h1><p>" .. web:link("/post/7") .. "</p>"
            end

            function post(web, id)
              web.headers["X-Post"] = id
              return "<h1>Post " .. id .. "</h1><p>" .. web.method .. " " .. tostring(web.input.fmt) .. "</p>"
            end

            blog:dispatch_get(index, "/", "/index")
            blog:dispatch_get(post, "/post/(%d+)")
            return blog
            """#], lua: lua)
        let index = try server.get("/blog")
        XCTAssertEqual(index.code, 200, index.text)
        XCTAssertEqual(index.header("Content-Type"), "text/html")
        XCTAssertEqual(index.text, "<h1>Posts</h1><p>/blog/post/7</p>")
        let post = try server.get("/blog/post/7?fmt=short")
        XCTAssertEqual(post.text, "<h1>Post 7</h1><p>get short</p>")
        XCTAssertEqual(post.header("X-Post"), "7")
        let missing = try server.get("/blog/nothing/here")
        XCTAssertEqual(missing.code, 404, "Orbit's own not_found: \(missing.text)")
    }

    /// Debian's Orbit example, copied as it is installed (`#!/usr/bin/env wsapi.cgi` first line,
    /// `module("hello", package.seeall, orbit.new)`, nothing returned): served as wsapi.cgi
    /// serves it, the module `require` would give.
    func testDebiansOrbitHelloExampleRunsUnchanged() throws {
        let example = "/usr/share/doc/lua-orbit/hello/hello.lua"
        guard FileManager.default.fileExists(atPath: example) else {
            throw XCTSkip("Debian's lua-orbit is not installed: scripts/test installs it")
        }
        var lua = LuaLimits()
        lua.luaPath = [WSAPITests.debianWSAPI, "/usr/share/lua/5.1"]
        lua.compat51 = true
        let log = LogCapture()
        let server = try TestServer(["hello.lua": try String(contentsOfFile: example, encoding: .utf8)], logger: log.logger, lua: lua)
        let index = try server.get("/hello/")
        XCTAssertEqual(index.code, 200, index.text + log.messages.joined(separator: "\n"))
        XCTAssertTrue(index.text.contains("<p class=\"hello\">Hello World!</p>"), index.text)
        XCTAssertTrue(try server.get("/hello/say/Ada").text.contains("Hello Ada!"))
        XCTAssertFalse(log.contains("module, not mounted"), "an application, not a module")
    }
}
