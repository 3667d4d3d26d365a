import Foundation
import NIOConcurrencyHelpers
import XCTest
@testable import LuaGateway

/// SPEC 5 and 1.4: a runaway loop is stopped, an allocating application hits its state's
/// memory cap, and a long computation does not stall the other requests of its loop.
/// No Lua failure takes the server down; a runaway is stopped alone, a state that ran out is replaced.
final class LuaLimitsTests: XCTestCase {
    static let scripts = [
        "ok.lua": #"return function(e, sr) sr("200 OK", {}); return "ok" end"#,
        "spin.lua": #"return function(e, sr) while true do end end"#,
        "stubborn.lua": #"return function(e, sr) while true do pcall(function() while true do end end) end end"#,
        "spingen.lua": #"""
            return function(e, sr)
              sr("200 OK", {})
              return coroutine.wrap(function()
                coroutine.yield("first")
                local inner = coroutine.wrap(function() coroutine.yield("x"); while true do end end)
                inner()
                inner()
              end)
            end
            """#,
        "hog.lua": #"""
            return function(e, sr)
              local t = {}
              while true do t[#t + 1] = string.rep("x", 1000000) .. #t end
            end
            """#,
        "work.lua": #"""
            return function(e, sr)
              local n = tonumber(e.QUERY_STRING) or 1
              local x = 0
              for i = 1, n * 1000000 do x = x + i % 7 end
              sr("200 OK", {})
              return tostring(x)
            end
            """#,
    ]

    func testRunawayLoopIsStoppedWith504AndItsStateReplaced() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 4, queue: 8),
                                    lua: LuaLimits(runTime: 0.3, timeSlice: 0.002))
        let runaway = try server.client()
        let start = Date()
        try runaway.send("GET /spin HTTP/1.1\r\nHost: t\r\n\r\n")
        // Others are served while it spins (its time slices let them in).
        XCTAssertEqual(try server.get("/ok").text, "ok")
        let response = try runaway.readResponse()
        XCTAssertEqual(response.code, 504)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "stopped, not left spinning")
        XCTAssertEqual(try server.client().request("GET /stubborn HTTP/1.1\r\nHost: t\r\n\r\n").code, 504, "pcall does not save it")
        XCTAssertEqual(try server.get("/ok").text, "ok")
        XCTAssertLessThanOrEqual(server.poolSizes.live, 4)
        // A runaway inside the application's own (nested) coroutines is stopped too; its head
        // was sent, so the response ends abnormally.
        let nested = try server.client()
        try nested.send("GET /spingen HTTP/1.1\r\nHost: t\r\n\r\n")
        let raw = String(decoding: try nested.readToEnd(), as: UTF8.self)
        XCTAssertTrue(raw.contains("5\r\nfirst\r\n") && !raw.hasSuffix("0\r\n\r\n"), raw)
        XCTAssertEqual(try server.get("/ok").text, "ok")
    }

    func testAllocatingWithoutBoundHitsTheCap() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 2, queue: 8),
                                    lua: LuaLimits(memoryPerState: 32 << 20))
        for _ in 0..<3 {
            let response = try server.get("/hog")
            XCTAssertEqual(response.code, 500)
        }
        XCTAssertEqual(try server.get("/ok").text, "ok")
        let sizes = server.poolSizes
        XCTAssertEqual(sizes.live, sizes.idle, "no state is left lent")
        XCTAssertLessThanOrEqual(sizes.live, 2, "states that ran out were replaced, not kept")
    }

    /// SPEC 4: when one request fills its state, the state's other requests finish: the limit
    /// grows once by a little headroom for whoever reaches it, and what the failed request held
    /// is collected.
    func testTheOtherRequestsOfAFullStateFinish() throws {
        var scripts = Self.scripts
        scripts["chain.lua"] = #"return function(e, sr) local t; while true do t = { t, 1, 2 } end end"#
        scripts["innocent.lua"] = #"""
            local luagw = require "luagw"
            return function(e, sr)
              local t = {}
              for i = 1, 400 do luagw.sleep(0.005); t[#t + 1] = string.rep("y", 4000) .. i end
              sr("200 OK", {})
              return tostring(#t)
            end
            """#
        let log = LogCapture()
        let server = try TestServer(scripts, pool: .init(initial: 1, maximum: 1, queue: 8), logger: log.logger,
                                    lua: LuaLimits(memoryPerState: 64 << 20))
        for hog in ["/chain", "/hog"] {
            let innocent = try server.client()
            try innocent.send("GET /innocent HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(try server.get(hog).code, 500, "\(hog) fails alone")
            XCTAssertEqual(try innocent.readResponse().text, "400",
                           "the other request of the state finished beside \(hog): \(log.messages.joined(separator: "\n"))")
        }
        XCTAssertEqual(try server.get("/ok").text, "ok")
    }

    func testRunawayAtLoadDoesNotHangTheServer() throws {
        let server = try TestServer(["loop.lua": "while true do end", "ok.lua": Self.scripts["ok.lua"]!],
                                    lua: LuaLimits(runTime: 0.2))
        XCTAssertEqual(try server.get("/loop").code, 500)
        XCTAssertEqual(try server.get("/ok").text, "ok")
    }

    /// p50 and p99 of hello-world on one worker while another client keeps a CPU-heavy script busy.
    func helloLatencies(timeSlice: Double) throws -> (p50: Double, p99: Double) {
        let server = try TestServer(Self.scripts, workers: 1, pool: .init(initial: 2, maximum: 4, queue: 8),
                                    lua: LuaLimits(timeSlice: timeSlice))
        let progress = NIOLockedValueBox((done: false, heavyServed: 0))
        let heavy = Thread {
            guard let client = try? server.client() else { return }
            while !progress.withLockedValue({ $0.done }) {
                _ = try? client.request("GET /work?20 HTTP/1.1\r\nHost: t\r\n\r\n")
                progress.withLockedValue { $0.heavyServed += 1 }
            }
        }
        heavy.start()
        waitUntil("the heavy script to run") { progress.withLockedValue { $0.heavyServed > 0 } }
        let client = try server.client()
        var latencies: [Double] = []
        let until = Date().addingTimeInterval(2)
        while Date() < until {
            let start = Date()
            XCTAssertEqual(try client.request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text, "ok")
            latencies.append(Date().timeIntervalSince(start) * 1000)
        }
        progress.withLockedValue { $0.done = true }
        latencies.sort()
        return (latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
    }

    func testLongComputationsAreSlicedSoOthersKeepBeingServed() throws {
        let sliced = try helloLatencies(timeSlice: 0.002)
        let unsliced = try helloLatencies(timeSlice: 0)
        print(String(format: "fairness: hello-world beside a CPU-heavy script on one worker: p50 %.2f ms, p99 %.2f ms with 2 ms slices; p50 %.2f ms, p99 %.2f ms without",
                     sliced.p50, sliced.p99, unsliced.p50, unsliced.p99))
        // The medians: a busy shared machine stalls now and then, which moves the tails of both runs.
        XCTAssertLessThan(sliced.p50, unsliced.p50 / 2)
    }
}
