import Foundation
import XCTest

/// `luagw new`, `luagw test` and `luagw lua-path` (issue 26 item 13), with the binary: the new
/// project is served at once, its test passes under `luagw test` and in plain lua5.4, and a
/// broken test fails, named.
final class NewProjectTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory("luagw-new")
    }

    override func tearDown() {
        scratch.remove()
    }

    func testANewProjectServesAtOnceAndItsTestPassesThenFailsWhenBroken() throws {
        let project = scratch.url.appendingPathComponent("site").path
        let made = try LuagwProcess.run(["new", project], mergingErrors: true)
        XCTAssertEqual(made.status, 0, made.out)
        for written in ["site/api.lua", "site/_middleware.lua", "site/public/index.html", "site/_tests/api_test.lua",
                        "luagw serve \(project)", "luagw test \(project)"] {
            XCTAssertTrue(made.out.contains(written), "\(written) in: \(made.out)")
        }

        let (server, port) = try startListening(try LuagwProcess.binary()) { port in
            ["serve", project, "--bind", "127.0.0.1:\(port)", "--workers", "1", "--log-level", "error", "--access-log", "off"]
        }
        defer { server.terminate(); server.waitUntilExit() }
        let client = try RawClient(port: port, timeout: 60)
        let page = try client.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(page.code, 200)
        XCTAssertTrue(page.text.contains("It works"), page.text)
        let hello = try client.request("GET /api/hello/Ada HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(hello.text, "Hello, Ada!\n")
        XCTAssertEqual(hello.header("X-Content-Type-Options"), "nosniff", "the project's _middleware.lua wraps api.lua")
        let echo = try client.request("POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\nmessage=hi")
        XCTAssertEqual(echo.text, "You said: hi\n")
        XCTAssertEqual(try client.request("GET /_tests/api_test HTTP/1.1\r\nHost: x\r\n\r\n").code, 404, "tests are not mounted")

        let passed = try LuagwProcess.run(["test", project], mergingErrors: true)
        XCTAssertEqual(passed.status, 0, passed.out)
        XCTAssertTrue(passed.out.contains("ok    _tests/api_test.lua"), passed.out)
        XCTAssertTrue(passed.out.contains("1 test file: 1 passed, 0 failed"), passed.out)
        XCTAssertEqual(try plainLua("_tests/api_test.lua", in: project).status, 0)

        try scratch.write("site/_tests/broken_test.lua", """
            local test = require "luagw.test"
            test.equal(test.client("."):get("/api/hello/Ada").body, "Goodbye", "the greeting")
            """)
        let failed = try LuagwProcess.run(["test", project], mergingErrors: true)
        XCTAssertEqual(failed.status, 1, failed.out)
        XCTAssertTrue(failed.out.contains("FAIL  _tests/broken_test.lua"), failed.out)
        XCTAssertTrue(failed.out.contains("_tests/broken_test.lua:2: the greeting: expected \"Goodbye\", got \"Hello, Ada!\\n\""), failed.out)
        XCTAssertTrue(failed.out.contains("ok    _tests/api_test.lua"), failed.out)
        XCTAssertTrue(failed.out.contains("2 test files: 1 passed, 1 failed"), failed.out)
        let plain = try plainLua("_tests/broken_test.lua", in: project)
        XCTAssertNotEqual(plain.status, 0)
        XCTAssertTrue(plain.out.contains("the greeting: expected"), plain.out)
    }

    func testNewRefusesADirectoryThatIsNotEmpty() throws {
        try scratch.write("taken/notes.txt", "mine")
        let refused = try LuagwProcess.run(["new", scratch.url.appendingPathComponent("taken").path], mergingErrors: true)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.out.contains("exists and is not empty"), refused.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("taken/api.lua").path))
        XCTAssertEqual(try String(contentsOf: scratch.url.appendingPathComponent("taken/notes.txt"), encoding: .utf8), "mine")
    }

    /// A test file runs as a request does: what waits works, and the directory's modules are found.
    func testATestFileMayWaitAndRequireTheDirectorysModules() throws {
        try scratch.write("app/_lib/greeting.lua", "return { text = 'hi' }")
        try scratch.write("app/_tests/wait_test.lua", """
            require("luagw").sleep(0.01)
            local ok, how, code = os.execute("exit 3")
            assert(how == "exit" and code == 3, "os.execute ran: " .. tostring(code))
            assert(require("_lib.greeting").text == "hi")
            """)
        let result = try LuagwProcess.run(["test", scratch.url.appendingPathComponent("app").path], mergingErrors: true)
        XCTAssertEqual(result.status, 0, result.out)
        XCTAssertTrue(result.out.contains("ok    _tests/wait_test.lua"), result.out)
        let none = try LuagwProcess.run(["test", scratch.url.appendingPathComponent("app/_lib").path], mergingErrors: true)
        XCTAssertEqual(none.status, 1, "no test file is a failure: \(none.out)")
    }

    /// docs/cookbook.md's test file ("Testing an application") passes as printed, in luagw and in plain Lua.
    func testTheCookbooksTestFilePassesAsPrinted() throws {
        let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/cookbook.md")
        let blocks = try String(contentsOf: page, encoding: .utf8).components(separatedBy: "```lua\n").dropFirst()
            .map { $0.components(separatedBy: "```")[0] }
        let source = try XCTUnwrap(blocks.first { $0.hasPrefix("-- _tests/hello_test.lua") })
        try scratch.write("app/_tests/hello_test.lua", source)
        let project = scratch.url.appendingPathComponent("app").path
        let result = try LuagwProcess.run(["test", project], mergingErrors: true)
        XCTAssertEqual(result.status, 0, result.out)
        XCTAssertTrue(result.out.contains("ok    _tests/hello_test.lua"), result.out)
        let plain = try plainLua("_tests/hello_test.lua", in: project)
        XCTAssertEqual(plain.status, 0, plain.out)
    }

    /// Runs `file` with plain lua5.4 from `directory`, luagw's modules on LUA_PATH (`luagw lua-path`).
    private func plainLua(_ file: String, in directory: String) throws -> (status: Int32, out: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lua5.4") else { throw XCTSkip("no lua5.4") }
        let written = try LuagwProcess.run(["lua-path", scratch.url.appendingPathComponent("lua").path])
        XCTAssertEqual(written.status, 0, written.err)
        let folder = written.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/lua5.4")
        process.arguments = [file]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["LUA_PATH"] = "\(folder)/?.lua;;"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, out)
    }
}
