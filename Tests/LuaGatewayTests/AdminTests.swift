import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 10's admin listener (`--admin`): /metrics read by a real Prometheus text-format parser
/// (prometheus_client's, installed by scripts/test) and checked against the traffic sent;
/// /status.json and /status showing a request held in flight (without its query string).
final class AdminTests: XCTestCase {
    static let scripts = [
        "a.lua": #"return function(e, sr) sr(200, {}); return "a" end"#,
        "fail.lua": #"return function(e, sr) error("deliberate") end"#,
        "hold.lua": #"""
            return function(e, sr)
              while not e.luagw.shared.admin:get(e.QUERY_STRING) do e.luagw.sleep(0.01) end
              e.luagw.shared.admin:delete(e.QUERY_STRING)
              sr(200, {})
              return "released"
            end
            """#,
        "release.lua": #"return function(e, sr) e.luagw.shared.admin:set(e.QUERY_STRING, true); sr(204, {}); return "" end"#,
    ]

    func get(_ port: Int, _ path: String) throws -> Response {
        try RawClient(port: port).request("GET \(path) HTTP/1.1\r\nHost: admin\r\n\r\n")
    }

    /// The samples of a Prometheus exposition, as prometheus_client's parser reads them:
    /// "name{label=value,...}" (labels sorted) → value.
    static func parse(_ exposition: String) throws -> [String: Double] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-metrics-\(getpid()).txt")
        try exposition.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in family.samples:
                    labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
                    print("%s{%s} %r" % (s.name, labels, s.value))
            """, file.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let failure = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw XCTSkip("prometheus_client could not parse or is missing (scripts/test installs it): \(failure)")
        }
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            guard let space = line.lastIndex(of: " ") else { continue }
            samples[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return samples
    }

    func testMetricsCountWhatWasServed() throws {
        let server = try TestServer(Self.scripts, admin: true)
        let admin = try XCTUnwrap(server.server.adminAddress).port
        for _ in 0..<3 { XCTAssertEqual(try server.get("/a").code, 200) }
        XCTAssertEqual(try server.client().request("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").code, 200)
        XCTAssertEqual(try server.get("/nowhere/at/all").code, 404)
        XCTAssertEqual(try server.get("/fail").code, 500)
        XCTAssertEqual(try server.client().request("BREW /a HTTP/1.1\r\nHost: t\r\n\r\n").code, 200)
        let response = try get(admin, "/metrics")
        XCTAssertEqual(response.code, 200)
        XCTAssertTrue(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let samples = try Self.parse(response.text)
        let duration = "http_server_request_duration_seconds"
        XCTAssertEqual(samples["\(duration)_count{method=GET,route=/a,status=200}"], 3, "\(samples.keys.sorted())")
        XCTAssertEqual(samples["\(duration)_count{method=POST,route=/a,status=200}"], 1)
        XCTAssertEqual(samples["\(duration)_count{method=_OTHER,route=/a,status=200}"], 1, "unknown methods are one label")
        XCTAssertEqual(samples["\(duration)_count{method=GET,route=/fail,status=500}"], 1)
        XCTAssertEqual(samples["\(duration)_count{method=GET,route=,status=404}"], 1, "the raw path is never a label")
        XCTAssertFalse(samples.keys.contains { $0.contains("nowhere") })
        XCTAssertEqual(samples["\(duration)_bucket{le=+Inf,method=GET,route=/a,status=200}"], 3)
        XCTAssertGreaterThan(samples["\(duration)_sum{method=GET,route=/a,status=200}"] ?? 0, 0)
        XCTAssertEqual(samples["luagw_requests_refused_total{status=404}"], 1)
        XCTAssertEqual(samples["luagw_lua_errors_total{kind=error}"], 1)
        XCTAssertEqual(samples["luagw_build_info{version=\(GatewayVersion.string)}"], 1)
        XCTAssertEqual(samples["luagw_generation{}"], 1)
        XCTAssertEqual(samples["luagw_states{state=busy,worker=0}"], 0)
        XCTAssertGreaterThanOrEqual(samples["luagw_states{state=idle,worker=0}"] ?? 0, 1)
        XCTAssertEqual(samples["luagw_queue_length{}"], 0)
        XCTAssertGreaterThan(samples["luagw_lua_memory_bytes{}"] ?? 0, 10_000, "the idle states' memory")
        XCTAssertNotNil(samples["luagw_connections{state=idle}"])
        XCTAssertEqual(try get(admin, "/elsewhere").code, 404)
        for _ in 0..<2 { XCTAssertEqual(try server.get("/a").code, 200) }
        let again = try Self.parse(try get(admin, "/metrics").text)
        XCTAssertEqual(again["\(duration)_count{method=GET,route=/a,status=200}"], 5, "a second scrape sees the new requests")
        XCTAssertEqual(again["luagw_requests_refused_total{status=404}"], 1)
    }

    func testARoutersTemplateIsTheRouteNeverThePath() throws {
        let server = try TestServer(["api.lua": #"""
            local router = require("luagw.web.router").new()
            router:get("/users/:id", function(e, sr) sr(200, {}); return "user " .. e["luagw.params"].id end)
            return router
            """#], admin: true)
        let admin = try XCTUnwrap(server.server.adminAddress).port
        for id in [1, 2, 3] { XCTAssertEqual(try server.get("/api/users/\(id)").text, "user \(id)") }
        XCTAssertEqual(try server.get("/api/elsewhere").code, 404)
        let samples = try Self.parse(try get(admin, "/metrics").text)
        XCTAssertEqual(samples["http_server_request_duration_seconds_count{method=GET,route=/api/users/:id,status=200}"], 3,
                       "\(samples.keys.filter { $0.contains("_count") })")
        XCTAssertEqual(samples["http_server_request_duration_seconds_count{method=GET,route=/api,status=404}"], 1,
                       "no template matched: the mount")
    }

    func testReloadsAndRunTimeStopsAreCounted() throws {
        let server = try TestServer(["spin.lua": "return function(e, sr) while true do end end", "a.lua": Self.scripts["a.lua"]!],
                                    lua: LuaLimits(runTime: 0.3), admin: true)
        let admin = try XCTUnwrap(server.server.adminAddress).port
        XCTAssertEqual(try server.get("/spin").code, 504)
        try server.write("b.lua", #"return function(e, sr) sr(200, {}); return "b" end"#)
        XCTAssertEqual(server.server.reload(), 2)
        try server.write("b.lua", "return function(e, sr) this is not Lua end")
        XCTAssertEqual(server.server.reload(), 2, "the broken file keeps its last good version")
        let samples = try Self.parse(try get(admin, "/metrics").text)
        XCTAssertEqual(samples["luagw_lua_errors_total{kind=run_time}"], 1)
        XCTAssertEqual(samples["luagw_reloads_total{result=ok}"], 1)
        XCTAssertEqual(samples["luagw_reloads_total{result=refused}"], 1)
        XCTAssertEqual(samples["luagw_generation{}"], 2)
        let status = try get(admin, "/status.json").text
        XCTAssertTrue(status.contains("\"last_reload_error\":") && status.contains("b.lua"), status)
    }

    func testEveryFamilyIsExportedBeforeItsFirstEvent() throws {
        let server = try TestServer(Self.scripts, admin: true)
        let admin = try XCTUnwrap(server.server.adminAddress).port
        let samples = try Self.parse(try get(admin, "/metrics").text)
        XCTAssertEqual(samples["luagw_queue_wait_seconds_count{}"], 0, "\(samples.keys.sorted())")
        for kind in ["error", "run_time", "memory"] { XCTAssertEqual(samples["luagw_lua_errors_total{kind=\(kind)}"], 0) }
    }

    func testStatusShowsARequestInFlight() throws {
        let server = try TestServer(Self.scripts, admin: true)
        let admin = try XCTUnwrap(server.server.adminAddress).port
        for _ in 0..<5 { XCTAssertEqual(try server.get("/a").code, 200) }
        let key = "token=secret\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? server.get("/release?\(key)") }
        let held = try server.client()
        try held.send("GET /hold?\(key) HTTP/1.1\r\nHost: t\r\nX-Request-Id: held-1\r\n\r\n")
        var status: [String: Any] = [:]
        waitUntil("the held request to be in flight") {
            guard let text = try? get(admin, "/status.json").text,
                  let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return false }
            status = json
            // Waiting in luagw.sleep most of the time (running between two sleeps, or for a time slice).
            return (json["in_flight"] as? [[String: Any]])?.contains {
                $0["id"] as? String == "held-1" && $0["phase"] as? String == "waiting"
            } == true
        }
        let request = try XCTUnwrap((status["in_flight"] as? [[String: Any]])?.first { $0["id"] as? String == "held-1" })
        let worker = try XCTUnwrap((status["workers"] as? [[String: Any]])?.first)
        XCTAssertEqual(worker["requests_per_state"] as? [Int], [1], "one state, running the held request")
        XCTAssertEqual(request["method"] as? String, "GET")
        XCTAssertEqual(request["path"] as? String, "/hold", "never the query, which may hold a token")
        XCTAssertFalse(try get(admin, "/status.json").text.contains("secret"))
        XCTAssertEqual(request["mount"] as? String, "/hold")
        XCTAssertEqual(request["client"] as? String, "127.0.0.1")
        XCTAssertGreaterThanOrEqual(request["age_seconds"] as? Double ?? -1, 0)
        XCTAssertEqual(status["generation"] as? Int, 1)
        XCTAssertGreaterThanOrEqual(status["uptime_seconds"] as? Double ?? -1, 0)
        XCTAssertGreaterThan(status["requests_per_second"] as? Double ?? 0, 0, "five requests in the last minute")
        let latency = try XCTUnwrap(status["latency_seconds"] as? [String: Any])
        let p50 = try XCTUnwrap(latency["p50"] as? Double), p99 = try XCTUnwrap(latency["p99"] as? Double)
        XCTAssertTrue(p50 > 0 && p50 <= p99 && p99 < 10, "\(latency)")
        let workers = try XCTUnwrap(status["workers"] as? [[String: Any]])
        XCTAssertEqual(workers.first?["states_busy"] as? Int, 1)
        XCTAssertNotNil(workers.first?["queue"] as? Int)
        let page = try get(admin, "/status")
        XCTAssertEqual(page.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains("<td>held-1</td>") && page.text.contains("<td>/hold</td>"), page.text)
        XCTAssertFalse(page.text.contains("secret"), page.text)
        XCTAssertFalse(page.text.contains("http-equiv=\"refresh\""), "no refresh unless asked")
        XCTAssertTrue(page.text.contains("<a href=\"/status?refresh=5\">refresh every 5 s</a>"))
        let refreshing = try get(admin, "/status?refresh=7")
        XCTAssertTrue(refreshing.text.contains("<meta http-equiv=\"refresh\" content=\"7\">"), refreshing.text)
        XCTAssertFalse(try get(admin, "/status?refresh=0").text.contains("http-equiv"), "1 to 3600 s only")
        let index = try get(admin, "/")
        XCTAssertEqual(index.code, 200)
        XCTAssertTrue(index.text.contains("<a href=\"/status\">status</a>") && index.text.contains("<a href=\"/metrics\">"), index.text)
        if FileManager.default.isExecutableFile(atPath: HeadlessChromium.path) {
            let rendered = try HeadlessChromium.open("http://127.0.0.1:\(admin)/status", as: "admin-status")
            XCTAssertEqual(rendered.console, [], "no console messages")
            let inFlight = rendered.dom.components(separatedBy: "<table id=\"in-flight\">").last ?? ""
            XCTAssertTrue(inFlight.contains("<td>held-1</td>") && (inFlight.contains("<td>waiting</td>") || inFlight.contains("<td>running</td>")),
                          "the browser shows the held request in flight: \(rendered.dom)")
            XCTAssertTrue(rendered.dom.contains("<table id=\"last-minute\">"), rendered.dom)
        }
        XCTAssertEqual(try server.get("/release?\(key)").code, 204)
        XCTAssertEqual(try held.readResponse().text, "released")
    }
}
