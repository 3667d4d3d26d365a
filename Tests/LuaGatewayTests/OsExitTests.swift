import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 5: no application ends the server. Under `luagw serve`, `os.exit` raises an error
/// (logged with the script's file and line) in a request and in a script's load, and the server
/// goes on; `luagw cgi`, whose one request is the process, keeps the standard one.
final class OsExitTests: XCTestCase {
    static let scripts = [
        "quit.lua": #"""
            return function(e, sr)
              os.exit(3)
            end
            """#,
        "caught.lua": #"""
            return function(e, sr)
              local ok, err = pcall(os.exit, true, true)
              sr("200 OK", {}); return tostring(ok) .. " " .. err
            end
            """#,
        "atload.lua": #"""
            local config = "read"
            os.exit(3)
            return function(e, sr) sr("200 OK", {}); return "never" end
            """#,
        "fine.lua": #"return function(e, sr) sr("200 OK", {}); return "still here" end"#,
    ]

    func testOsExitInARequestIsAnErrorAndTheServerGoesOn() throws {
        let server = try assertOsExitFails(at: "/quit", logged: "quit.lua:2: ")
        XCTAssertEqual(try server.get("/quit").code, 500, "the same state serves it again")
    }

    func testOsExitCanBeCaughtLikeAnyError() throws {
        let server = try TestServer(Self.scripts)
        let caught = try server.get("/caught").text
        XCTAssertTrue(caught.hasPrefix("false ") && caught.contains("os.exit: an application cannot end the server"), caught)
    }

    func testOsExitAtAScriptsLoadFailsThatScriptAlone() throws {
        _ = try assertOsExitFails(at: "/atload", logged: "atload.lua:2: ")
    }

    /// GETs `path` (a script that calls os.exit) on a new server: 500, the error logged after
    /// `place` (its file and line), and the server still serves; returns the server.
    private func assertOsExitFails(at path: String, logged place: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws -> TestServer {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger)
        XCTAssertEqual(try server.get(path).code, 500, file: file, line: line)
        XCTAssertTrue(log.contains(place + "os.exit: an application cannot end the server"),
                      log.messages.joined(separator: "\n"), file: file, line: line)
        XCTAssertEqual(try server.get("/fine").text, "still here", file: file, line: line)
        return server
    }

    func testLuagwCGIKeepsTheStandardOsExit() throws {
        let scratch = try ScratchDirectory("luagw-cgi")
        defer { scratch.remove() }
        let script = try scratch.write("app.lua", #"return function(e, sr) io.stdout:write("Status: 200 OK\r\n\r\nbye"); os.exit(3) end"#)
        let result = try LuagwProcess.run(["cgi", script.path],
                                          environment: ["REQUEST_METHOD": "GET", "PATH_INFO": "", "QUERY_STRING": ""])
        XCTAssertEqual(result.status, 3, result.err)
        XCTAssertTrue(result.out.hasSuffix("bye"), result.out)
    }
}
