import Foundation
import XCTest
@testable import LuaGateway

/// Issue 12's errors a person can act on: the request id in every answer luagw makes itself,
/// where a stopped request was, messages said once, tracebacks that end at the application,
/// and wsgi.errors lines as the application's own.
final class ErrorReportTests: XCTestCase {
    static let scripts = [
        "fail.lua": #"return function(e, sr) error("deliberate") end"#,
        "spin.lua": "local function spin() while true do end end\nreturn function(e, sr) spin() end",
        "talk.lua": #"return function(e, sr) e["wsgi.errors"]:write("a note\n"); sr(200, {}); return "" end"#,
    ]

    func testEveryAnswerLuagwMakesCarriesTheRequestID() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger)
        let failed = try server.get("/fail")
        XCTAssertEqual(failed.code, 500)
        let id = try XCTUnwrap(failed.header("X-Request-Id"))
        XCTAssertEqual(failed.text, "Internal Server Error (request id \(id): the log says more)\n")
        XCTAssertTrue(log.messages.contains { $0.contains("deliberate") && $0.contains(id) }, "the log has the same id")
        XCTAssertEqual(try server.get("/fail", headers: "X-Request-Id: mine-7\r\n").header("X-Request-Id"), "mine-7")
        XCTAssertNotNil(try server.get("/missing").header("X-Request-Id"), "404")
        let malformed = try server.client().request("GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n")
        XCTAssertEqual(malformed.code, 400)
        XCTAssertNotNil(malformed.header("X-Request-Id"), "even bytes that made no request get one")
        XCTAssertNil(try server.get("/talk").header("X-Request-Id"), "the application's own answers are its own")
    }

    /// Errors about what an application did with the protocol name it: its file and the line
    /// where its function starts (issue 26 item 7), not luagw's driver.
    /// A traceback starts where the error was raised: no frame of luagw's own message handler
    /// (luagw/traced_error.lua) on top, whether the error is a string, a runtime error or a table.
    func testTracebacksStartAtTheApplication() throws {
        let log = LogCapture()
        let server = try TestServer([
            "raise.lua": "return function(e, sr)\n  error('deliberate')\nend",
            "index.lua": "return function(e, sr)\n  local x\n  return x.y\nend",
            "table.lua": "return function(e, sr)\n  error({ code = 7 })\nend",
        ], logger: log.logger)
        for path in ["/raise", "/index", "/table"] { XCTAssertEqual(try server.get(path).code, 500) }
        let failures = log.messages.filter { $0.contains("request failed") }
        XCTAssertEqual(failures.count, 3, log.messages.joined(separator: "\n"))
        for failure in failures {
            let frames = (failure.components(separatedBy: "stack traceback:\n").last ?? "").split(separator: "\n")
            XCTAssertFalse(failure.contains("traced_error"), failure)
            let top = frames.first { $0 != "\t[C]: in function 'error'" } ?? ""
            XCTAssertTrue(top.contains(".lua:2: in ") || top.contains("index.lua:3: in "), failure)
        }
    }

    func testProtocolErrorsNameTheApplication() throws {
        let log = LogCapture()
        let server = try TestServer([
            "nostart.lua": "local x = 1\nreturn function(e, sr)\n  return 'forgot'\nend",
            "number.lua": "return function(e, sr) sr(200, {}); return { 'a', 7 } end",
            "callable.lua": "return setmetatable({}, { __call = function() return 'x' end })",
        ], development: true, logger: log.logger)
        XCTAssertTrue(try server.get("/nostart").text.contains("/nostart.lua:2: the application returned without calling start_response"))
        XCTAssertTrue(try server.get("/number").text.contains("/number.lua:1: body element 2 is a number"))
        XCTAssertTrue(try server.get("/callable").text.contains("/callable.lua: the application returned without calling start_response"))
        XCTAssertTrue(log.contains("/nostart.lua:2: the application returned without calling start_response"),
                      log.messages.joined(separator: "\n"))
    }

    func testARunTimeStopSaysWhereOnceAndUnderDevInTheBody() throws {
        for development in [false, true] {
            let log = LogCapture()
            let server = try TestServer(Self.scripts, development: development, logger: log.logger,
                                        lua: LuaLimits(runTime: 0.5))
            let stopped = try server.get("/spin")
            XCTAssertEqual(stopped.code, 504)
            let stop = log.messages.first { $0.contains("request stopped") } ?? ""
            // Lua shortens a long file name from the left ("...luagw-test-.../spin.lua").
            XCTAssertTrue(stop.contains("request stopped: ") && stop.contains("/spin.lua:1: ran longer than its limit of 0.5 s"), stop)
            XCTAssertFalse(stop.contains("stopped: stopped"), stop)
            XCTAssertTrue(stop.contains("in upvalue 'spin'"), "the traceback of the stop, not of the cleanup after it: \(stop)")
            if development {
                XCTAssertTrue(stopped.text.contains("spin.lua:1: ran longer") && stopped.text.contains("stack traceback"),
                              stopped.text)
            } else {
                XCTAssertTrue(stopped.text.hasPrefix("Gateway Timeout (request id "), stopped.text)
            }
        }
    }

    func testWSGIErrorsLinesAreTheApplicationsWithTheirMount() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger)
        _ = try server.get("/talk", headers: "X-Request-Id: talk-1\r\n")
        let line = log.messages.first { $0.contains("a note") } ?? ""
        XCTAssertTrue(line.hasPrefix("notice [app /talk] a note") && line.contains("talk-1"), line)
    }
}
