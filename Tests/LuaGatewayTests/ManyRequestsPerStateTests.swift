import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// SPEC 4, amended: a state runs many requests at once, each a coroutine; they interleave only
/// where they wait, faults stay with the request that made them, and a reload lets the
/// requests of the old code finish on it.
final class ManyRequestsPerStateTests: XCTestCase {
    /// Each state answers with an id of its own (made when its first script loads; each script
    /// has globals of its own, so the id is kept in the state's _G).
    static let stateID = #"_G.state_id = _G.state_id or tostring({}):match("0x%x+"); local state_id = _G.state_id"#

    override class func setUp() {
        super.setUp()
        raiseDescriptorLimit()
    }

    /// A thousand client sockets and their server ends: more than a soft limit of 1,024.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    func testAThousandSleepingRequestsOverlapOnOneStateWithTheDefaultFlags() throws {
        let count = 1000
        let server = try TestServer(["sleep.lua": Self.stateID + "\n" + #"""
            local luagw = require "luagw"
            local together = luagw.shared[\#(Self.fresh())]
            return function(e, sr)
              together:incr("in", 1, 0)
              -- Waits until every request is in (they all sleep on one state at once), at most 60 s.
              local deadline = luagw.now() + 60
              while together:get("in") < \#(count) and luagw.now() < deadline do luagw.sleep(0.2) end
              sr(200, {})
              return together:get("in") >= \#(count) and "together " .. state_id or "alone"
            end
            """#], pool: PoolLimits())
        let clients = try (0..<count).map { _ in try RawClient(port: server.port, timeout: 120) }
        for client in clients { try client.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n") }
        var states = Set<String>()
        for client in clients {
            let response = try client.readResponse()
            XCTAssertEqual(response.code, 200)
            XCTAssertTrue(response.text.hasPrefix("together "), response.text)
            states.insert(response.text)
        }
        XCTAssertEqual(states.count, 1, "one state ran all of them: \(states)")
        XCTAssertEqual(server.queuedRequests, 0)
    }

    /// A new dictionary name (the shared dictionaries outlive a test's server), as a Lua string.
    static func fresh() -> String { "\"test-\(UUID().uuidString)\"" }

    /// Request `a` writes a global, then waits until `b` has written it too; what `a` reads back.
    static var globals: [String: String] { [
        "g.lua": #"""
            local luagw = require "luagw"
            local flags = luagw.shared[\#(fresh())]
            return function(e, sr)
              who = e.QUERY_STRING
              if who == "a" then
                local deadline = luagw.now() + 30
                while not flags:get("b") and luagw.now() < deadline do luagw.sleep(0.01) end
              else
                flags:set("b", true)
              end
              sr(200, {})
              return who
            end
            """#,
    ] }

    func testGlobalsAreSharedByTheRequestsOfAState() throws {
        let server = try TestServer(Self.globals, pool: PoolLimits())
        try assertGlobals(server, aReads: "b")
    }

    func testWithOneRequestPerStateEachRequestHasItsGlobals() throws {
        let server = try TestServer(Self.globals, pool: PoolLimits(requestsPerState: 1))
        try assertGlobals(server, aReads: "a")
    }

    private func assertGlobals(_ server: TestServer, aReads expected: String, file: StaticString = #filePath,
                               line: UInt = #line) throws {
        let a = try server.client()
        try a.send("GET /g?a HTTP/1.1\r\nHost: t\r\n\r\n")
        server.waitForRunningRequests(1)
        XCTAssertEqual(try server.get("/g?b").text, "b", file: file, line: line)
        XCTAssertEqual(try a.readResponse().text, expected, file: file, line: line)
    }

    func testARequestThatNeverWaitsIsNeverInterleaved() throws {
        let server = try TestServer(["spin.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              owner = e.QUERY_STRING
              local deadline, intact = luagw.now() + 0.3, true
              while luagw.now() < deadline do
                if owner ~= e.QUERY_STRING then intact = false end
              end
              sr(200, {})
              return intact and "intact" or "interleaved"
            end
            """#], pool: PoolLimits(), lua: LuaLimits(timeSlice: 0))
        let clients = try (0..<4).map { _ in try server.client() }
        for (i, client) in clients.enumerated() { try client.send("GET /spin?\(i) HTTP/1.1\r\nHost: t\r\n\r\n") }
        for client in clients { XCTAssertEqual(try client.readResponse().text, "intact") }
    }

    func testATimerTicksWhileTheRequestThatMadeItSleeps() throws {
        let server = try TestServer(["tick.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              local ticks = 0
              local timer = luagw.timer.every(0.02, function() ticks = ticks + 1 end)
              local deadline = luagw.now() + 30
              while ticks < 3 and luagw.now() < deadline do luagw.sleep(0.05) end
              timer:cancel()
              sr(200, {})
              return tostring(ticks)
            end
            """#], pool: PoolLimits())
        let ticks = Int(try server.get("/tick").text) ?? 0
        XCTAssertGreaterThanOrEqual(ticks, 3, "the timer ticked on the state its request holds")
    }

    /// `/sleep` waits until released (shared flag), then answers with its state's id.
    static func sleeper(_ dictionary: String) -> String { stateID + "\n" + #"""
        local luagw = require "luagw"
        local flags = luagw.shared[\#(dictionary)]
        return function(e, sr)
          flags:incr("sleeping", 1, 0)
          local deadline = luagw.now() + 30
          while not flags:get("release") and luagw.now() < deadline do luagw.sleep(0.01) end
          sr(200, {})
          return "slept on " .. state_id
        end
        """# }

    /// Sets the sleepers' `release` flag; answers with its state's id.
    static func releaser(_ dictionary: String) -> String { stateID + "\n" + #"""
        return function(e, sr) require("luagw").shared[\#(dictionary)]:set("release", true); sr(200, {}); return state_id end
        """# }

    /// Runs `/fault` (the script `fault`) while `/sleep` waits on the same state; the fault's
    /// status, what the sleeper answered, and the id of the state that serves a request after.
    private func fault(_ fault: String, lua: LuaLimits) throws -> (server: TestServer, status: Int, slept: Response, after: String) {
        let faults = Self.fresh()
        let server = try TestServer(["sleep.lua": Self.sleeper(faults), "release.lua": Self.releaser(faults), "fault.lua": fault],
                                    pool: PoolLimits(), lua: lua)
        let sleeper = try server.client()
        try sleeper.send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n")
        server.waitForRunningRequests(1)
        let status = try server.get("/fault").code
        let after = try server.get("/release").text
        return (server, status, try sleeper.readResponse(), after)
    }

    func testARunawayIsStoppedAloneAndItsStatesOtherRequestsGoOn() throws {
        let run = try fault("return function(e, sr) while true do end end", lua: LuaLimits(runTime: 0.5))
        XCTAssertEqual(run.status, 504)
        XCTAssertEqual(run.slept.code, 200)
        XCTAssertEqual(run.slept.text, "slept on " + run.after, "the sleeper went on on the state that stopped the runaway")
        XCTAssertEqual(run.server.poolSizes.live, 1, "the state was not replaced")
    }

    func testARequestPastTheMemoryLimitFailsAloneAndItsStateIsReplaced() throws {
        let run = try fault(#"""
            return function(e, sr)
              local t = {}
              for i = 1, math.huge do t[i] = string.rep("x", 1000) .. i end
            end
            """#, lua: LuaLimits(memoryPerState: 24 << 20))
        XCTAssertEqual(run.status, 500)
        XCTAssertEqual(run.slept.code, 200, "the state's other request finished")
        XCTAssertTrue(run.slept.text.hasPrefix("slept on "), run.slept.text)
        XCTAssertNotEqual(run.slept.text, "slept on " + run.after, "a new request went to a fresh state")
        waitUntil("the old state closed once its last request ended") { run.server.poolSizes.live == 1 }
    }

    func testAbortedSleepingRequestsLeaveNoDescriptorBehind() throws {
        let count = 300
        let peer = try LoopbackListener { fd in
            var byte: UInt8 = 0
            _ = read(fd, &byte, 1)  // until luagw closes its end
            close(fd)
        }
        let server = try TestServer(["hold.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              local sock = luagw.socket.tcp()
              assert(sock:connect("127.0.0.1", \#(peer.port)))
              luagw.sleep(60)
              sr(200, {})
              return "held"
            end
            """#], pool: PoolLimits())
        XCTAssertEqual(try server.get("/missing").code, 404)  // the server's own descriptors are open
        let before = Self.openDescriptors()
        var clients = try (0..<count).map { _ in try server.client() }
        for client in clients { try client.send("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n") }
        server.waitForRunningRequests(count)
        waitUntil("every request connected its socket") { Self.openDescriptors() >= before + 3 * count }
        for client in clients { client.resetOnClose() }
        clients.removeAll()
        waitUntil("every aborted request ended") { server.runningRequests == 0 }
        waitUntil("their sockets closed") { Self.openDescriptors() <= before + 5 }
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    func testAReloadLetsRequestsWaitingOnTheOldCodeFinishOnIt() throws {
        let count = 100
        let go = Self.fresh()
        let version = { (v: String) in #"""
            local luagw = require "luagw"
            return function(e, sr)
              local deadline = luagw.now() + 30
              if e.QUERY_STRING == "wait" then
                while not luagw.shared[\#(go)]:get("go") and luagw.now() < deadline do luagw.sleep(0.01) end
              end
              sr(200, {})
              return "\#(v)"
            end
            """# }
        let server = try TestServer(["a.lua": version("v1"), "go.lua": #"""
            return function(e, sr) require("luagw").shared[\#(go)]:set("go", true); sr(200, {}); return "go" end
            """#], pool: PoolLimits(), reload: .signal)
        let clients = try (0..<count).map { _ in try server.client() }
        for client in clients { try client.send("GET /a?wait HTTP/1.1\r\nHost: t\r\n\r\n") }
        server.waitForRunningRequests(count)
        try server.write("a.lua", version("v2"))
        XCTAssertEqual(server.server.reload(), 2)
        XCTAssertEqual(try server.get("/a").text, "v2", "a new request runs the new code at once")
        XCTAssertEqual(server.runningRequests, count, "the old state still runs its requests")
        XCTAssertEqual(try server.get("/go").text, "go")
        for client in clients { XCTAssertEqual(try client.readResponse().text, "v1") }
        waitUntil("the old state closed") { server.poolSizes.live == 1 && server.runningRequests == 0 }
    }
}
