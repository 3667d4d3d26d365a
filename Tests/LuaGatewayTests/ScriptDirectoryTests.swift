import XCTest
@testable import LuaGateway

/// SPEC 3: mounting a directory of scripts.
final class ScriptDirectoryTests: XCTestCase {
    static func named(_ name: String) -> String {
        #"return function(e, sr) sr("200 OK", {}); return "\#(name) " .. e.SCRIPT_NAME .. "|" .. e.PATH_INFO end"#
    }

    static let scripts = [
        "index.lua": named("root"),
        "hello.lua": named("hello"),
        "api/index.lua": named("api-index"),
        "api/users.lua": named("users"),
        "api/users/admin.lua": named("admin"),
        "_helpers.lua": named("helper"),
        "_private/secret.lua": named("secret"),
        ".hidden.lua": named("hidden"),
        "uses.lua": #"local m = require("mymod"); local n = require("pkg"); return function(e, sr) sr(200, {}); return m.greet() .. n.name end"#,
        "mymod.lua": #"return { greet = function() return "hi from mymod;" end }"#,
        "pkg/init.lua": #"return { name = "pkg-init" }"#,
        "globals_a.lua": #"shared = "from a"; return function(e, sr) sr(200, {}); return tostring(shared) end"#,
        "globals_b.lua": #"return function(e, sr) sr(200, {}); return tostring(shared) .. "," .. tostring(string.upper ~= nil) end"#,
        "broken.lua": "return function(e, sr) this is not lua end",
        "notapp.lua": "return 42",
        // A first line starting with `#` is skipped, as lua and luaL_loadfile skip it; lines keep their numbers.
        "shebang.lua": "#!/usr/bin/env wsapi.cgi\nlocal m = require 'shebang_mod'\n"
            + "return function(e, sr) sr(200, {}); return m .. ' line ' .. debug.getinfo(1, 'l').currentline end",
        "shebang_mod.lua": "#!/usr/bin/env lua\nreturn 'module'",
    ]

    func testAFirstLineStartingWithHashIsSkipped() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/shebang").text, "module line 3")
    }

    /// A launcher named after its module (`hello.lua` doing `require "hello"`) would load itself
    /// forever (a C stack overflow): it fails to load with a message that says why.
    func testAScriptThatRequiresItselfIsSaidSo() throws {
        let log = LogCapture()
        let server = try TestServer(["selfish.lua": "local app = require 'selfish'\nreturn app"], logger: log.logger)
        XCTAssertEqual(try server.get("/selfish").code, 500)
        XCTAssertTrue(log.contains("module 'selfish' is this script itself"), log.messages.joined(separator: "\n"))
        XCTAssertFalse(log.contains("stack overflow"), log.messages.joined(separator: "\n"))
    }

    /// Orbit's launchers: `hello.lua` doing `require "hello"` gets the module of that name on
    /// --lua-path, not itself.
    func testALauncherGetsItsNamesakeModuleFromTheLuaPath() throws {
        let modules = try ScratchDirectory("luagw-lua-path")
        defer { modules.remove() }
        try modules.write("launcher.lua", "return function(e, sr) sr(200, {}) return 'the module on --lua-path' end")
        var lua = LuaLimits()
        lua.luaPath = [modules.path]
        let server = try TestServer(["launcher.lua": "#!/usr/bin/env wsapi.cgi\nreturn require 'launcher'"], lua: lua)
        XCTAssertEqual(try server.get("/launcher").text, "the module on --lua-path")
    }

    /// Modules found through --lua-path are read by each new state from disk: a change there is
    /// watched too, and SIGHUP reads them again even when the served directory did not change.
    func testModulesOnTheLuaPathReloadWhenChangedAndOnSIGHUP() throws {
        let modules = try ScratchDirectory("luagw-lua-path")
        defer { modules.remove() }
        try modules.write("libmod.lua", "return 'lib v1'")
        var lua = LuaLimits()
        lua.luaPath = [modules.path]
        let app = #"local lib = require 'libmod'; return function(e, sr) sr(200, {}); return lib end"#
        let watched = try TestServer(["a.lua": app], reload: .watch, lua: lua)
        XCTAssertEqual(try watched.get("/a").text, "lib v1")
        try modules.write("libmod.lua", "return 'lib v2'")
        waitUntil("a change on --lua-path to be watched") { (try? watched.get("/a").text) == "lib v2" }

        let signalled = try TestServer(["a.lua": app], reload: .signal, lua: lua)
        XCTAssertEqual(try signalled.get("/a").text, "lib v2")
        try modules.write("libmod.lua", "return 'lib v3'")
        XCTAssertEqual(try signalled.get("/a").text, "lib v2", "no watcher")
        signalled.server.reload()
        waitUntil("SIGHUP to read the --lua-path modules again") { (try? signalled.get("/a").text) == "lib v3" }
    }

    func testHelpersAndDebiansLuaModulesAreRequiredAsDocumented() throws {
        let server = try TestServer([
            "a.lua": #"""
                local lib, db, cjson = require "_lib", require "_lib.db", require "cjson"
                return function(e, sr) sr(200, {}); return lib.name .. " " .. db.name .. " " .. cjson.encode({ 1 }) end
                """#,
            "_lib/init.lua": #"return { name = "init" }"#,
            "_lib/db.lua": #"return { name = "db" }"#,
        ])
        XCTAssertEqual(try server.get("/a").text, "init db [1]", "docs/application.md, Helpers, modules and libraries")
        XCTAssertEqual(try server.get("/_lib/db").code, 404, "helpers are not mounted")
    }

    func testMounting() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/").text, "root |/")
        XCTAssertEqual(try server.get("/zzz/y").text, "root |/zzz/y", "index.lua at / serves everything unmatched")
        XCTAssertEqual(try server.get("/hello").text, "hello /hello|")
        XCTAssertEqual(try server.get("/hello/a/b").text, "hello /hello|/a/b")
        XCTAssertEqual(try server.get("/helloworld").text, "root |/helloworld", "whole segments only")
        XCTAssertEqual(try server.get("/api").text, "api-index /api|")
        XCTAssertEqual(try server.get("/api/other").text, "api-index /api|/other")
        XCTAssertEqual(try server.get("/api/users/7").text, "users /api/users|/7")
        XCTAssertEqual(try server.get("/api/users/admin/x").text, "admin /api/users/admin|/x", "the longest mount wins")
    }

    func testHelpersAndHiddenFilesAreNotMounted() throws {
        let server = try TestServer(Self.scripts.filter { $0.key != "index.lua" })
        XCTAssertEqual(try server.get("/_helpers").code, 404)
        XCTAssertEqual(try server.get("/_private/secret").code, 404)
        XCTAssertEqual(try server.get("/.hidden").code, 404)
        XCTAssertEqual(try server.get("/nothing").code, 404)
    }

    func testRequireFindsModulesInTheDirectory() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/uses").text, "hi from mymod;pkg-init")
    }

    func testEachScriptHasItsOwnGlobals() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 1, queue: 4))
        XCTAssertEqual(try server.get("/globals_a").text, "from a")
        XCTAssertEqual(try server.get("/globals_b").text, "nil,true")
    }

    func testScriptsThatFailToLoadAnswer500() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/broken").code, 500)
        XCTAssertEqual(try server.get("/hello").code, 200)
    }

    /// A script that returns no application (an existing application's helper module, an Orbit
    /// model) is a module: not mounted, its URL routed as if it were not there, said once in the log.
    func testAScriptThatReturnsNoApplicationIsAModuleNotMounted() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, pool: .init(initial: 2, maximum: 4, queue: 16), logger: log.logger)
        XCTAssertEqual(try server.get("/notapp").text, "root |/notapp", "the next mount that matches serves it")
        XCTAssertEqual(try server.get("/mymod/x").text, "root |/mymod/x")
        XCTAssertEqual(try server.get("/uses").text, "hi from mymod;pkg-init", "still a module for require")
        XCTAssertEqual(log.count(of: "mymod.lua returned a table, not an application: it is a module, not mounted at /mymod"), 1,
                       log.messages.joined(separator: "\n"))
        XCTAssertEqual(log.count(of: "notapp.lua returned a number"), 1)

        let alone = try TestServer(["helper.lua": "local M = {}\nreturn M", "forgot.lua": "local x = 1"], logger: log.logger)
        XCTAssertEqual(try alone.get("/helper").code, 404, "nothing else matches")
        XCTAssertEqual(try alone.get("/forgot").code, 404)
        XCTAssertTrue(log.contains("forgot.lua returned nothing: it is a module, not mounted at /forgot. If it is a page, "
                                   + "end it with `return app`"), log.messages.joined(separator: "\n"))
    }

    func testServingOneFileMountsItAtRoot() throws {
        let server = try TestServer(["app.lua": Self.named("single")], file: "app.lua")
        XCTAssertEqual(try server.get("/").text, "single |/")
        XCTAssertEqual(try server.get("/x/y").text, "single |/x/y")
    }

    func testMountPaths() {
        XCTAssertEqual(ScriptSet.mountPath(forRelativeFile: "index.lua"), "")
        XCTAssertEqual(ScriptSet.mountPath(forRelativeFile: "a/index.lua"), "/a")
        XCTAssertEqual(ScriptSet.mountPath(forRelativeFile: "a/b.lua"), "/a/b")
    }
}
