import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 5: `os.execute` and `io.popen` under `luagw serve` run their command without blocking
/// the event loop (the request waits while its worker serves others), with Lua's results; the
/// time a request waits for its child counts towards `--run-time`, and a child is killed when
/// its request is stopped or its client goes, leaving no process and no zombie behind.
final class ProcessTests: XCTestCase {
    /// A `sleep` command whose argument no other process has, so that the test can tell
    /// whether it still runs.
    private func uniqueSleep(_ seconds: Int) -> String {
        "sleep%20\(seconds).\(UInt32.random(in: 100_000...999_999))"
    }

    /// Processes whose command line contains `text` (spaces as `%20` in `text` are spaces).
    private func processes(running text: String) -> Int {
        let wanted = text.replacingOccurrences(of: "%20", with: "\0")
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.filter { pid in
            guard pid.allSatisfy(\.isNumber), let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: line, as: UTF8.self).contains(wanted)
        }.count
    }

    /// This process's children that are zombies (exited, not reaped).
    private var zombies: Int {
        let me = String(getpid())
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.filter { pid in
            guard pid.allSatisfy(\.isNumber), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let afterName = stat.range(of: ") ", options: .backwards) else { return false }
            let fields = stat[afterName.upperBound...].split(separator: " ")
            return fields.count > 1 && fields[0] == "Z" && fields[1] == me
        }.count
    }

    static let scripts = [
        "execute.lua": #"""
            local show = require "_show"
            return function(e, sr)
              sr("200 OK", {})
              return show(os.execute((e.QUERY_STRING:gsub("%%20", " "))))
            end
            """#,
        "_show.lua": #"return function(...) return table.concat({ tostring(select(1, ...)), tostring(select(2, ...)), tostring(select(3, ...)) }, " ") end"#,
        "results.lua": #"""
            local show = require "_show"
            return function(e, sr)
              sr("200 OK", {})
              return table.concat({ show(os.execute("true")), show(os.execute("exit 3")), show(os.execute("kill -9 $$")),
                                    tostring(os.execute()), show(io.popen("exit 5"):close()) }, "\n")
            end
            """#,
        "read.lua": #"""
            return function(e, sr)
              local f = assert(io.popen("printf 'a\\nb\\nc'"))
              local first, rest = f:read("l"), f:read("a")
              local more = f:read("a") .. tostring(f:read("l"))
              local ok, what, code = f:close()
              local lines = {}
              for line in io.popen("printf 'x\\ny\\n'", "r"):lines("L") do lines[#lines + 1] = line end
              local g <close> = io.popen("printf '12345678'")
              local three, none, number = g:read(3, 0, "n")
              sr("200 OK", {})
              return table.concat({ first, rest, more, tostring(ok), what, code, table.concat(lines), three, none,
                                    math.type(number), number }, "|")
            end
            """#,
        "write.lua": #"""
            return function(e, sr)
              local f = assert(io.popen("cat > '" .. e.QUERY_STRING .. "'", "w"))
              assert(f:write("hello ", 42, "\n") == f)
              local read = tostring(f:read("l"))
              local kind = io.type(f)
              local ok, what, code = io.close(f)
              sr("200 OK", {})
              return table.concat({ kind, io.type(f), tostring(ok), what, code, read, tostring(select(2, pcall(f.write, f, "x"))) }, " ")
            end
            """#,
        "caught.lua": #"""
            return function(e, sr)
              local ok, err = pcall(os.execute, e.QUERY_STRING:gsub("%%20", " "))
              sr("200 OK", {})
              return "escaped: " .. tostring(ok) .. " " .. tostring(err)
            end
            """#,
        "popen.lua": #"""
            return function(e, sr)
              local output = io.popen((e.QUERY_STRING:gsub("%%20", " "))):read("a")
              sr("200 OK", {}); return output
            end
            """#,
        "feed.lua": #"""
            return function(e, sr)
              local f = io.popen((e.QUERY_STRING:gsub("%%20", " ")), "w")
              f:write(string.rep("x", 1 << 24))
              sr("200 OK", {}); return "fed"
            end
            """#,
        "left.lua": #"""
            return function(e, sr)
              io.popen((e.QUERY_STRING:gsub("%%20", " ")))
              sr("200 OK", {}); return "left running"
            end
            """#,
        "fds.lua": #"""
            return function(e, sr)
              local f = io.popen("ls -l /proc/$$/fd")
              local listing = f:read("a")
              f:close()
              sr("200 OK", {})
              return listing
            end
            """#,
        "atload.lua": #"""
            local host = os.execute("true")
            return function(e, sr) sr("200 OK", {}); return "never" end
            """#,
        "threads.lua": #"""
            local luagw = require "luagw"
            return function(e, sr)
              local started, threads = luagw.now(), {}
              for i = 1, 3 do threads[i] = luagw.thread.spawn(function() return io.popen("sleep 2; echo " .. i):read("l") end) end
              local got = {}
              for i = 1, 3 do got[i] = select(2, luagw.thread.wait(threads[i])) end
              sr("200 OK", {}); return table.concat(got, " ") .. " " .. (luagw.now() - started)
            end
            """#,
        "fast.lua": #"return function(e, sr) sr("200 OK", {}); return "fast" end"#,
    ]

    func testAFastRequestIsAnsweredWhileAnotherWaitsForACommand() throws {
        let server = try TestServer(Self.scripts, workers: 1)
        let slow = try server.client()
        let started = Date()
        try slow.send("GET /execute?sleep%205 HTTP/1.1\r\nHost: t\r\n\r\n")
        server.waitForRunningRequests(1)
        XCTAssertEqual(try server.get("/fast").text, "fast")
        let fastAfter = Date().timeIntervalSince(started)
        XCTAssertEqual(try slow.readResponse().text, "true exit 0")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 5)
        XCTAssertLessThan(fastAfter, 4.5, "the fast request was answered while `sleep 5` ran, not after it")
    }

    func testLightThreadsRunCommandsAtOnce() throws {
        let server = try TestServer(Self.scripts)
        let answer = try server.get("/threads").text.split(separator: " ")
        XCTAssertEqual(answer.prefix(3), ["1", "2", "3"])
        let took = Double(answer.last ?? "") ?? 0
        XCTAssertTrue(took >= 2 && took < 5, "three `sleep 2` at once took \(took) s (one after another: 6)")
        waitUntil("no zombie") { zombies == 0 }
    }

    func testExitStatusesAndSignalsAreLuasThreeResults() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/results").text,
                       "true exit 0\nnil exit 3\nnil signal 9\ntrue\nnil exit 5")
    }

    func testAPipeReadsLinesCountsAndTheRest() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/read").text, "a|b\nc|nil|true|exit|0|x\ny\n|123||integer|45678")
    }

    func testAPipeInWriteModeFeedsTheCommand() throws {
        let scratch = try ScratchDirectory("luagw-popen")
        defer { scratch.remove() }
        let file = scratch.url.appendingPathComponent("out.txt").path
        let server = try TestServer(Self.scripts)
        let answer = try server.get("/write?\(file)").text
        XCTAssertTrue(answer.hasPrefix("file closed file true exit 0 nil "), answer)
        XCTAssertTrue(answer.hasSuffix("attempt to use a closed file"), answer)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "hello 42\n")
    }

    func testTheChildHasNoDescriptorOfTheServer() throws {
        let server = try TestServer(Self.scripts)
        let listing = try server.get("/fds").text
        XCTAssertFalse(listing.contains("socket:"), listing)
        XCTAssertEqual(listing.split(separator: "\n").filter { $0.contains(" -> ") }.count, 3, listing)
    }

    func testTimeInACommandCountsTowardsTheRunTime() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger, lua: LuaLimits(runTime: 0.5))
        for script in ["execute", "caught", "popen", "feed"] {
            let command = uniqueSleep(30)
            let started = Date()
            let stopped = try server.get("/\(script)?\(command)")
            XCTAssertEqual(stopped.code, 504, "\(script): \(stopped.text)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 10)
            waitUntil("\(command) to be killed") { processes(running: command) == 0 }
        }
        // Where the request was stopped: in `caught`, after the pcall that caught the first error.
        for (script, line) in [("execute", 4), ("caught", 3), ("popen", 2), ("feed", 3)] {
            XCTAssertTrue(log.contains("\(script).lua:\(line): ran longer than its limit of 0.5 s"), log.messages.joined(separator: "\n"))
        }
        XCTAssertEqual(try server.get("/execute?true").text, "true exit 0", "a short command fits in the time")
        waitUntil("no zombie") { zombies == 0 }
    }

    func testAClientThatGoesKillsItsRequestsChild() throws {
        let server = try TestServer(Self.scripts)
        let command = uniqueSleep(30)
        do {
            let client = try server.client()
            try client.send("GET /execute?\(command) HTTP/1.1\r\nHost: t\r\n\r\n")
            waitUntil("\(command) to run") { processes(running: command) == 1 }
            client.resetOnClose()
        }  // reset here, 30 s before the command would end
        waitUntil("\(command) to be killed") { processes(running: command) == 0 }
        waitUntil("the request to end") { server.runningRequests == 0 }
        waitUntil("no zombie") { zombies == 0 }
    }

    func testACommandLeftRunningIsKilledWhenItsRequestEnds() throws {
        let server = try TestServer(Self.scripts)
        let command = uniqueSleep(30)
        XCTAssertEqual(try server.get("/left?\(command)").text, "left running")
        waitUntil("\(command) to be killed") { processes(running: command) == 0 }
        waitUntil("no zombie") { zombies == 0 }
    }

    func testAScriptCannotRunACommandWhileItLoads() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger)
        XCTAssertEqual(try server.get("/atload").code, 500)
        XCTAssertTrue(log.contains("atload.lua:1: os.execute: cannot wait here"), log.messages.joined(separator: "\n"))
    }
}
