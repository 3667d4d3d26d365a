import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 5's `--sandbox`: `os.execute`, `io.popen`, `os.exit`, `package.loadlib` and C modules
/// are removed (an error that names the flag), and files are written, renamed and removed only
/// in the served directory and the temporary directory, paths resolved (`..` and symbolic links
/// cannot lead out); reading stays allowed.
final class SandboxTests: XCTestCase {
    /// A path outside the served directory and the temporary directory, unique to the test.
    static let outside = "/luagw-sandbox-probe-\(UInt32.random(in: 0...UInt32.max))"

    static let scripts = [
        "removed.lua": #"""
            return function(e, sr)
              local messages = {}
              for _, call in ipairs({ function() os.execute("true") end, function() io.popen("true") end,
                                      function() os.exit(1) end, function() package.loadlib("x.so", "f") end,
                                      function() require "lpeg" end, function() require "fake" end }) do
                messages[#messages + 1] = select(2, pcall(call))
              end
              messages[#messages + 1] = type(require("cjson").encode)
              sr("200 OK", {}); return table.concat(messages, "\n")
            end
            """#,
        "writes.lua": #"""
            -- Each line: what a write, rename or removal gave (true, or the message's end and code).
            local function show(ok, err, code) return ok and "true" or (err:match("%-%-sandbox.*$") .. " " .. tostring(code)) end
            return function(e, sr)
              local dir, tmp, outside = e.QUERY_STRING:match("^(.-)|(.-)|(.*)$")
              local lines = {}
              local function try(...) lines[#lines + 1] = show(...) end
              local f = assert(io.open(dir .. "/out.txt", "w")); f:write("inside"); f:close()
              try(true)
              try(os.rename(dir .. "/out.txt", dir .. "/renamed.txt"))
              local t = assert(io.open(tmp .. "/luagw-sandbox-tmp.txt", "a")); t:close()
              try(os.remove(tmp .. "/luagw-sandbox-tmp.txt"))
              try(io.open(outside, "w"))
              try(io.open(dir .. "/../../../../../../.." .. outside, "a+"))
              try(io.open(dir .. "/link" .. outside, "w"))
              try(io.open(dir .. "/dangling", "w"))
              try(os.rename(dir .. "/renamed.txt", outside))
              try(os.remove(outside))
              try(pcall(io.output, outside))
              lines[#lines + 1] = tostring(io.open("/proc/self/status", "r") ~= nil)
              sr("200 OK", {}); return table.concat(lines, "\n")
            end
            """#,
    ]

    func testCommandsExitLoadlibAndCModulesAreRemoved() throws {
        let scratch = try ScratchDirectory("luagw-cpath")
        defer { scratch.remove() }
        try scratch.write("fake.so", "not really a C module")
        var lua = LuaLimits()
        lua.sandbox = true
        lua.luaCPath = [scratch.url.path]
        let server = try TestServer(Self.scripts, lua: lua)
        let lines = try server.get("/removed").text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7, lines.joined(separator: "\n"))
        for (line, name) in zip(lines, ["os.execute", "io.popen", "os.exit", "package.loadlib"]) {
            XCTAssertTrue(line.contains("removed.lua:") && line.contains("\(name): removed by --sandbox"), line)
        }
        XCTAssertTrue(lines[4].contains("module 'lpeg': C modules") && lines[4].contains("removed by --sandbox"), lines[4])
        XCTAssertTrue(lines[5].contains("fake.so) are removed by --sandbox"), lines[5])
        XCTAssertEqual(lines[6], "function", "lua-cjson, which luagw's JSON uses, still loads")
    }

    func testWritesStayInTheServedAndTheTemporaryDirectory() throws {
        var lua = LuaLimits()
        lua.sandbox = true
        let server = try TestServer(Self.scripts, lua: lua)
        let dir = server.directory.path
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "/")
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: Self.outside)
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let refused = "--sandbox allows writes only in the served directory and the temporary directory"
        XCTAssertEqual(try server.get("/writes?\(dir)|\(tmp)|\(Self.outside)").text.split(separator: "\n").map(String.init),
                       ["true", "true", "true"] + Array(repeating: "\(refused) 13", count: 6) + ["\(refused) nil", "true"])
        XCTAssertEqual(try String(contentsOfFile: dir + "/renamed.txt", encoding: .utf8), "inside",
                       "written and renamed inside; the rename out was refused")
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.outside))
    }

    func testTheFlagIsDocumentedAndWired() throws {
        let help = try LuagwProcess.run(["serve", "--help"])
        XCTAssertTrue(help.out.contains("--sandbox"), help.out)
        let server = try LuagwProcess(["app.lua": #"return function(e, sr) sr("200 OK", {}); return tostring(pcall(os.execute, "true")) end"#],
                                      arguments: ["--sandbox"])
        XCTAssertEqual(try server.client().request("GET /app HTTP/1.1\r\nHost: t\r\n\r\n").text, "false")
    }
}
