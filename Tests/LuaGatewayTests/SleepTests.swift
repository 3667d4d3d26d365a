import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 7's first operation, `luagw.sleep`, and through it the generic WAIT of the
/// runner: a waiting request frees its loop, is cancelled when its client goes, and
/// cannot wait where Lua cannot yield.
final class SleepTests: XCTestCase {
    static let scripts = [
        "slow.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              luagw.sleep(tonumber(e.QUERY_STRING) or 60)
              sr("200 OK", {})
              return "slept"
            end
            """#,
        "fast.lua": #"return function(e, sr) sr("200 OK", {}); return "fast" end"#,
        "same.lua": #"""
            return function(e, sr)
              sr("200 OK", {})
              return tostring(require("luagw") == e.luagw) .. " " .. type(e.luagw.sleep)
            end
            """#,
        "sorted.lua": #"""
            return function(e, sr)
              local t = { 3, 1, 2 }
              table.sort(t, function(a, b) e.luagw.sleep(0); return a < b end)
              sr("200 OK", {})
              return "sorted"
            end
            """#,
        "inner.lua": #"""
            return function(e, sr)
              local co = coroutine.wrap(function() e.luagw.sleep(0); coroutine.yield("inner"); return "done" end)
              local a, b = co(), co()
              sr("200 OK", {})
              return a .. " " .. b
            end
            """#,
        "luagw.lua": #"return { shadowed = true }"#,
    ]

    func testASleepingRequestLeavesItsWorkerToOthers() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        let sleeper = try server.client()
        try sleeper.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        server.waitForRunningRequests(1)
        let fast = try server.get("/fast")
        XCTAssertEqual(fast.text, "fast", "the worker answered while another request slept")
        XCTAssertEqual(server.busyStates, 1, "the sleeper still holds its state")
    }

    func testFiftySleepersOnOneWorkerSleepTogether() throws {
        let server = try TestServer(Self.scripts, workers: 1, pool: PoolLimits())
        let started = Date()
        let sleepers = try (0..<50).map { _ in try server.client() }
        for sleeper in sleepers { try sleeper.send("GET /slow?1 HTTP/1.1\r\nHost: t\r\n\r\n") }
        server.waitForRunningRequests(50)
        let hello = Date()
        XCTAssertEqual(try server.get("/fast").text, "fast")
        let helloTook = Date().timeIntervalSince(hello)
        for sleeper in sleepers { XCTAssertEqual(try sleeper.readResponse().text, "slept") }
        let took = Date().timeIntervalSince(started)
        // One after another they would take 50 s; together, about 1 s (generous bounds: a busy machine).
        XCTAssertLessThan(took, 15, "50 one-second sleeps took \(took) s")
        XCTAssertLessThan(helloTook, 1, "a request among 50 sleepers waited \(helloTook) s")
    }

    func testASleepEndsAndTheRequestGoesOn() throws {
        let server = try TestServer(Self.scripts)
        let started = Date()
        let response = try server.get("/slow?0.05")
        XCTAssertEqual(response.code, 200)
        XCTAssertEqual(response.text, "slept")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.05)
    }

    func testTimeAsleepDoesNotCountTowardsTheRunTimeLimit() throws {
        let server = try TestServer(Self.scripts, lua: LuaLimits(runTime: 0.5))
        let response = try server.get("/slow?1.2")
        XCTAssertEqual(response.code, 200, "asleep 1.2 s under a 0.5 s run-time limit")
        XCTAssertEqual(response.text, "slept")
    }

    func testAClientThatGoesAwayCancelsTheSleep() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        do {
            let sleeper = try server.client()
            try sleeper.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            server.waitForRunningRequests(1)
            sleeper.resetOnClose()
        }  // reset here, 60 s before the sleep would end
        waitUntil("the sleeping request's state back in the pool") { server.busyStates == 0 }
    }

    func testRequireGivesTheModuleOfEnvironNotAScriptOfTheSameName() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/same").text, "true function")
    }

    func testSleepingInsideTheApplicationsOwnCoroutineIsTransparent() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/inner").text, "inner done")
    }

    func testWhereLuaCannotYieldTheErrorSaysSoAndNamesTheCall() throws {
        let inComparator = try TestServer(Self.scripts, development: true)
        let atTopLevel = try TestServer(["top.lua": #"require("luagw").sleep(1); return function() end"#], development: true)
        for (server, path) in [(inComparator, "/sorted"), (atTopLevel, "/top")] {
            let response = try server.get(path)
            XCTAssertEqual(response.code, 500, path)
            XCTAssertTrue(response.text.contains("luagw.sleep: cannot wait here"), response.text)
        }
    }

    func testABadDurationIsTheApplicationsError() throws {
        let server = try TestServer(["bad.lua": #"""
            return function(e) e.luagw.sleep("soon") end
            """#], development: true)
        let response = try server.get("/bad")
        XCTAssertEqual(response.code, 500)
        XCTAssertTrue(response.text.contains("bad argument #1 to 'luagw.sleep'"), response.text)
    }
}
