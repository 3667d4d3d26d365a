import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 7's `luagw.timer`: functions run later on the state that made them, like a request
/// (they may sleep and use sockets), `every` again until cancelled, `premature` at a reload,
/// and a bound on how many wait.
final class TimerTests: XCTestCase {
    static let app = #"""
        local luagw = require "luagw"
        local store = luagw.shared.timers
        local ticker
        local actions = {
          at = function()
            local handle, err = luagw.timer.at(0.05, function(premature, a, b)
              luagw.sleep(0.01)  -- a timer may wait, like a request
              store:set("at", table.concat({ tostring(premature), a, b }, " "))
            end, "x", "y")
            return handle ~= nil, err
          end,
          every = function()
            ticker = luagw.timer.every(0.02, function() store:incr("ticks", 1, 0) end)
            return ticker ~= nil
          end,
          stop = function() return ticker:cancel() end,
          later = function()
            local handle, err = luagw.timer.at(60, function(premature) store:set("later", tostring(premature)) end)
            return handle ~= nil, err
          end,
          many = function()
            local a = luagw.timer.at(60, function() end)
            local b, err = luagw.timer.at(60, function() end)
            return a ~= nil and b ~= nil, err
          end,
          read = function(q) return store:get(q) end,
        }
        return function(e, sr)
          local a, b = actions[e.PATH_INFO:sub(2)](e.QUERY_STRING)
          sr(200, {})
          return tostring(a) .. " " .. tostring(b)
        end
        """#

    private func read(_ server: TestServer, _ key: String) throws -> String {
        try server.get("/t/read?\(key)").text
    }

    func testATimerRunsLaterWithItsArguments() throws {
        let server = try TestServer(["t.lua": Self.app], workers: 1, pool: PoolLimits(initial: 1, maximum: 1, queue: 8))
        XCTAssertEqual(try server.get("/t/at").text, "true nil")
        try waitUntil("the timer ran") { try read(server, "at") == "false x y nil" }
    }

    func testEveryRepeatsUntilCancelled() throws {
        let server = try TestServer(["t.lua": Self.app], workers: 1, pool: PoolLimits(initial: 1, maximum: 1, queue: 8))
        XCTAssertEqual(try server.get("/t/every").text, "true nil")
        try waitUntil("three ticks") { (Int(try read(server, "ticks").split(separator: " ")[0]) ?? 0) >= 3 }
        XCTAssertEqual(try server.get("/t/stop").text, "true nil")
        let stopped = try read(server, "ticks")
        let settle = Date().addingTimeInterval(0.3)
        while Date() < settle { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertEqual(try read(server, "ticks"), stopped, "no tick after cancel")
    }

    func testAReloadRunsTheReplacedStatesTimersPrematurely() throws {
        let server = try TestServer(["t.lua": Self.app], workers: 1, reload: .signal)
        XCTAssertEqual(try server.get("/t/later").text, "true nil")
        try server.write("t.lua", Self.app + "\n-- changed")
        _ = server.server.reload()
        try waitUntil("the timer ran prematurely") { try read(server, "later") == "true nil" }
        XCTAssertEqual(server.server.workers!.collect { $0.timers.count }.reduce(0, +), 0)
    }

    func testPendingTimersAreBounded() throws {
        let server = try TestServer(["t.lua": Self.app], workers: 1, maxTimers: 1)
        XCTAssertEqual(try server.get("/t/many").text, "false too many pending timers")
    }
}
