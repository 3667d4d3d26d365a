import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// SPEC 7's light threads (`luagw.thread`, `ngx.thread` under luagw.ngx): one request waits on
/// several calls at once.
final class LightThreadTests: XCTestCase {
    func testThreeThreadsWaitAtOnceAndEachGivesItsResults() throws {
        let server = try TestServer(["three.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              local together = luagw.shared[e.QUERY_STRING]
              local function call(name)
                together:incr("in", 1, 0)
                -- Waits until all three are in: they wait at once, or this times out.
                local deadline = luagw.now() + 20
                while together:get("in") < 3 and luagw.now() < deadline do luagw.sleep(0.01) end
                return name, together:get("in")
              end
              local threads = { luagw.thread.spawn(call, "a"), luagw.thread.spawn(call, "b"), luagw.thread.spawn(call, "c") }
              local out = {}
              for i, t in ipairs(threads) do
                local ok, name, seen = luagw.thread.wait(t)
                out[i] = tostring(ok) .. ":" .. name .. ":" .. seen
              end
              sr(200, {})
              return table.concat(out, " ")
            end
            """#])
        XCTAssertEqual(try server.get("/three?\(UUID().uuidString)").text, "true:a:3 true:b:3 true:c:3")
    }

    func testSpawnRunsTheThreadUntilItWaitsAndWaitGivesTheFirstToFinish() throws {
        let server = try TestServer(["first.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              local started = false
              local slow = luagw.thread.spawn(function() started = true; luagw.sleep(30); return "slow" end)
              local ran_before_spawn_returned = started
              local fast = luagw.thread.spawn(function() luagw.sleep(0.01); return "fast" end)
              local ok, first = luagw.thread.wait(slow, fast)
              local killed, err = luagw.thread.kill(slow)
              local again, why = luagw.thread.wait(slow)
              sr(200, {})
              return table.concat({ tostring(ran_before_spawn_returned), tostring(ok), first, tostring(killed),
                                    tostring(again), why }, " ")
            end
            """#])
        XCTAssertEqual(try server.get("/first").text, "true true fast true false already waited or killed")
    }

    func testAThreadThatRaisesIsWaitedWithFalseAndTheErrorAndLogged() throws {
        let log = LogCapture()
        let server = try TestServer(["fails.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              local t = luagw.thread.spawn(function() luagw.sleep(0); error("the service is down") end)
              local ok, err = luagw.thread.wait(t)
              sr(200, {})
              return tostring(ok) .. " " .. tostring(err):match("the service is down")
            end
            """#], logger: log.logger)
        XCTAssertEqual(try server.get("/fails").text, "false the service is down")
        waitUntil("the failure logged") { log.contains("light thread failed") && log.contains("the service is down") }
    }

    func testThreadsStillRunningWhenTheRequestEndsAreKilledAndTheirSocketsClosed() throws {
        let closed = NSLock()
        var closes = 0
        let peer = try LoopbackListener { fd in
            var byte: UInt8 = 0
            _ = read(fd, &byte, 1)  // until luagw closes its end
            close(fd)
            closed.withLock { closes += 1 }
        }
        let server = try TestServer(["leave.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              for _ = 1, 2 do
                luagw.thread.spawn(function()
                  local sock = luagw.socket.tcp()
                  assert(sock:connect("127.0.0.1", \#(peer.port)))
                  luagw.sleep(60)
                end)
              end
              sr(200, {})
              return "left"
            end
            """#])
        XCTAssertEqual(try server.get("/leave").text, "left")
        waitUntil("both threads' sockets closed") { closed.withLock { closes == 2 } }
        waitUntil("nothing left running") { server.runningRequests == 0 }
    }

    func testNgxThreadIsTheSame() throws {
        let server = try TestServer(["ngx.lua": #"""
            local ngx = require "luagw.ngx"
            return function(e, sr)
              local t = ngx.thread.spawn(function(a, b) ngx.sleep(0.01); return a + b end, 2, 3)
              local ok, sum = ngx.thread.wait(t)
              sr(200, {})
              return tostring(ok) .. " " .. sum
            end
            """#])
        XCTAssertEqual(try server.get("/ngx").text, "true 5")
    }

    func testOnlyTheSpawnerWaitsForOrKillsAThread() throws {
        let server = try TestServer(["spawner.lua": #"""
            local luagw = require "luagw"
            local handles = {}
            return function(e, sr)
              sr(200, {})
              if e.QUERY_STRING == "spawn" then
                handles.last = luagw.thread.spawn(function() luagw.sleep(0.01); return "mine" end)
                return select(2, luagw.thread.wait(handles.last))
              end
              local ok, err = pcall(luagw.thread.wait, handles.last)
              return tostring(ok) .. " " .. tostring(err):match("a thread spawned by another request or thread")
            end
            """#])
        XCTAssertEqual(try server.get("/spawner?spawn").text, "mine")
        XCTAssertEqual(try server.get("/spawner?other").text, "false a thread spawned by another request or thread")
    }
}
