import Foundation
import XCTest
@testable import LuaGateway

/// `--slow-request SECONDS` (issue 15): a request still running after that long is logged once,
/// as a warning with its request id and where its Lua code waits.
final class SlowRequestTests: XCTestCase {
    func testASlowRequestIsLoggedOnceWithWhereItWaits() throws {
        let log = LogCapture()
        // /slow?KEY waits until /go?KEY sets KEY in a shared dictionary (a key of this run only).
        let server = try TestServer(["slow.lua": #"""
            local function wait_for_upstream(luagw, key)
              while not luagw.shared.slow:get(key) do luagw.sleep(0.02) end
            end
            return function(e, sr)
              wait_for_upstream(e.luagw, e.QUERY_STRING)
              e.luagw.shared.slow:delete(e.QUERY_STRING)
              sr(200, {})
              return "done"
            end
            """#, "go.lua": #"return function(e, sr) e.luagw.shared.slow:set(e.QUERY_STRING, true); sr(204, {}); return "" end"#],
            logger: log.logger, slowRequest: 0.3)
        let key = "k\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? server.get("/go?\(key)") }  // the slow request ends whatever happens
        let client = try server.client()
        try client.send("GET /slow?\(key) HTTP/1.1\r\nHost: t\r\nX-Request-Id: slow-1\r\n\r\n")
        waitUntil("the slow request to be reported") { log.contains("request still running after") }
        let report = log.messages.first { $0.contains("request still running after") } ?? ""
        XCTAssertTrue(report.contains("GET /slow?\(key)"), report)
        XCTAssertTrue(report.contains("slow-1"), "the request id: \(report)")
        XCTAssertTrue(report.contains("wait_for_upstream"), "where it waits: \(report)")
        XCTAssertTrue(report.contains("slow.lua:2:"), report)
        XCTAssertEqual(try server.get("/go?\(key)").code, 204)
        XCTAssertEqual(try client.readResponse().text, "done", "the request itself goes on")
        XCTAssertEqual(try server.get("/go?other").code, 204)
        XCTAssertEqual(log.count(of: "request still running after"), 1, "said once; fast requests are not reported")
    }
}
