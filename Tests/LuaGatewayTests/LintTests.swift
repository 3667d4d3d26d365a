import XCTest
@testable import LuaGateway

/// SPEC 8's `luagw.web.lint`: every violation it claims to catch is reported on wsgi.errors,
/// a clean application reports nothing, and `--dev` wraps every script with it.
final class LintTests: XCTestCase {
    /// Applications that each break one rule, and the words of the report.
    static let violations: [(script: String, report: String)] = [
        (#"sr("200", {}); return "x""#, #"status "200" is not "NNN reason""#),
        (#"sr("200 OK", { { "Connection", "close" } }); return "x""#, #"header "Connection" is hop-by-hop"#),
        (#"sr("200 OK", { { "Status", "200" } }); return "x""#, #"header "Status" is CGI's"#),
        (#"sr("200 OK", { { "Bad Name", "v" } }); return "x""#, #"header name "Bad Name" is not a token"#),
        (#"sr("200 OK", { { "X-A", 1 } }); return "x""#, "header 1 is not a { name, value } pair of strings"),
        (#"sr("200 OK", { ["Content-Type"] = "text/plain" }); return "x""#, "a map, not an array of pairs"),
        (#"sr("204 No Content", {}); return "body""#, "a 204 response has a body (4 bytes)"),
        (#"sr("200 OK", { { "Content-Length", "10" } }); return "short""#, "Content-Length says 10, the body has 5 bytes"),
        (#"sr("200 OK", {}); return { "a", 2 }"#, "body element 2 is a number, not a string"),
        (#"sr("200 OK", {}); local n = 0; return function() n = n + 1; if n == 1 then return 7 end end"#,
         "the body iterator returned a number, not a string"),
        (#"sr("200 OK", {}); sr("500 Oops", {}); return "x""#, "start_response called again without exc_info"),
        (#"local w = sr("200 OK", {}); w(42); return """#, "write() given a number, not a string"),
        (#"sr("200 OK", {}); return 42"#, "the application returned a number"),
    ]

    func testEachViolationIsReportedAndACleanAppIsNot() throws {
        var scripts: [String: String] = [:]
        for (i, violation) in Self.violations.enumerated() {
            scripts["v\(i).lua"] = "return require(\"luagw.web.lint\")(function(e, sr) \(violation.script) end)"
        }
        scripts["clean.lua"] = #"""
            return require("luagw.web.lint")(function(e, sr)
              sr("200 OK", { { "Content-Type", "text/plain" }, { "Content-Length", "5" } })
              return "clean"
            end)
            """#
        let log = LogCapture()
        let server = try TestServer(scripts, logger: log.logger)
        XCTAssertEqual(try server.get("/clean").text, "clean")
        for i in Self.violations.indices { _ = try? server.get("/v\(i)") }  // some answers are broken on purpose
        waitUntil("every report logged") { Self.violations.allSatisfy { log.contains($0.report) } }
        for violation in Self.violations {
            XCTAssertTrue(log.contains(violation.report), "not reported: \(violation.report)")
        }
        // Each bad application broke one rule: one report each (the clean one made none).
        XCTAssertEqual(log.count(of: "lint:"), Self.violations.count, log.messages.joined(separator: "\n"))
    }

    func testDevWrapsEveryScript() throws {
        let log = LogCapture()
        let server = try TestServer(["bad.lua": #"return function(e, sr) sr("200", {}); return "x" end"#],
                                    development: true, logger: log.logger)
        _ = try server.get("/bad")
        waitUntil("the lint report") { log.contains("lint: status \"200\"") }
        let quiet = LogCapture()
        let production = try TestServer(["bad.lua": #"return function(e, sr) sr("200", {}); return "x" end"#],
                                        logger: quiet.logger)
        _ = try production.get("/bad")
        XCTAssertFalse(quiet.contains("lint:"), "without --dev nothing is linted")
    }

    func testARequestThatCreatesAGlobalIsReportedOnceWithItsLine() throws {
        let scripts = [
            "explicit.lua": #"""
                setup_done = true  -- a global made while the script loads: not a request's
                return require("luagw.web.lint")(function(e, sr)
                  last_path = e.PATH_INFO
                  sr("200 OK", {}); return "x"
                end)
                """#,
            "dev.lua": "return function(e, sr) visitor = e.QUERY_STRING; sr(\"200 OK\", {}); return visitor end",
            "clean.lua": "local n = 0\nreturn function(e, sr) n = n + 1; sr(\"200 OK\", {}); return tostring(n) end",
        ]
        let log = LogCapture()
        let server = try TestServer(scripts, development: true, logger: log.logger)
        for _ in 0..<2 {
            XCTAssertEqual(try server.get("/explicit").code, 200)
            XCTAssertEqual(try server.get("/dev?a").text, "a")
            XCTAssertEqual(try server.get("/clean").code, 200)
        }
        waitUntil("both reports logged") {
            log.contains(#"lint: the request wrote the global "last_path" (\#(server.directory.path)/explicit.lua:3)"#)
                && log.contains(#"the global "visitor""#)
        }
        XCTAssertEqual(log.count(of: #"the global "last_path""#), 1, "once: the global exists after the first write")
        XCTAssertFalse(log.contains("setup_done"), "a script's load is not a request")
        XCTAssertFalse(log.contains("lint: the request wrote the global \"n\""), "an upvalue is not a global")
    }
}
