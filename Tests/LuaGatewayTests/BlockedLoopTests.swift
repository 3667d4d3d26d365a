import Foundation
import XCTest
@testable import LuaGateway

/// A request that blocks its worker's event loop in a C call (Debian's LuaSocket, the real
/// blocking one; LuaSQL waiting for a lock; a read of a FIFO) is reported while it blocks: a warning naming the request,
/// where its Lua code called, and what to use instead when the call is a known one; a last line
/// when the loop turns again; the episode counted in /metrics. A request that waits through
/// luagw (luagw.sleep) or computes in time slices blocks nothing and is not reported.
final class BlockedLoopTests: XCTestCase {
    static let scripts = [
        "luasocket.lua": #"""
            local socket = require "socket"
            return function(e, sr)
              local c = assert(socket.connect("127.0.0.1", tonumber(e.QUERY_STRING)))
              local line = c:receive("*l")
              c:close()
              sr(200, {})
              return line
            end
            """#,
        "fifo.lua": #"""
            return function(e, sr)
              local f = assert(io.open(e.DOCUMENT_ROOT .. "/fifo"))
              local line = f:read("l")
              f:close()
              sr(200, {})
              return line
            end
            """#,
        "luasql.lua": #"""
            local driver = require "luasql.sqlite3"
            return function(e, sr)
              local db = assert(driver.sqlite3():connect(e.DOCUMENT_ROOT .. "/locked.db", 60000))
              local n = assert(db:execute("INSERT INTO t VALUES (1)"))
              db:close()
              sr(200, {})
              return tostring(math.tointeger(n))
            end
            """#,
        "waits.lua": #"""
            return function(e, sr)
              e.luagw.sleep(1.5)
              local t = os.clock()
              while os.clock() - t < 1.5 do end
              sr(200, {})
              return "waited"
            end
            """#,
    ]

    /// The first line of `log` that says `text`, once there is one.
    private func line(of log: LogCapture, saying text: String, _ what: String) throws -> String {
        waitUntil(what) { log.contains(text) }
        return try XCTUnwrap(log.messages.first { $0.contains(text) })
    }

    private func metrics(_ server: TestServer) throws -> [String: Double] {
        let admin = try XCTUnwrap(server.server.adminAddress).port
        return try AdminTests.parse(try RawClient(port: admin).request("GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n").text)
    }

    func testLuaSocketHoldingTheLoopIsReportedWhileItBlocks() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/lua/5.4/socket.lua") else {
            throw XCTSkip("lua-socket is not installed: run scripts/test")
        }
        let answer = DispatchSemaphore(value: 0)
        let upstream = try LoopbackListener { client in
            answer.wait()
            _ = "go\n".withCString { write(client, $0, 3) }
            close(client)
        }
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger, admin: true)
        let client = try server.client()
        try client.send("GET /luasocket?\(upstream.port) HTTP/1.1\r\nHost: t\r\nX-Request-Id: blocked-1\r\n\r\n")
        let warning = try line(of: log, saying: "event loop has been blocked", "the warning, while the request blocks")
        XCTAssertTrue(warning.contains("worker 0's event loop has been blocked for "), warning)
        XCTAssertTrue(warning.contains(" s by GET /luasocket?\(upstream.port) in "), warning)
        XCTAssertTrue(warning.contains("luasocket.lua:4 (tcp:receive: LuaSocket waits"), warning)
        XCTAssertTrue(warning.contains("use luagw.socket") && warning.contains("luagw.http"), warning)
        XCTAssertTrue(warning.contains("stack traceback:\n\t[C]: in tcp:receive\n\t") && warning.contains("luasocket.lua:4: in function <"), warning)
        XCTAssertTrue(warning.contains("request_id") && warning.contains("blocked-1"), warning)
        answer.signal()
        XCTAssertEqual(try client.readResponse().text, "go")
        let last = try line(of: log, saying: "event loop turns again after", "the last line")
        XCTAssertTrue(last.contains("blocked by GET /luasocket?\(upstream.port) in ") && last.contains("(tcp:receive:"), last)
        XCTAssertFalse(last.contains("stack traceback"), "the warning had it: \(last)")
        let samples = try metrics(server)
        XCTAssertEqual(samples["luagw_event_loop_blocked_total{}"], 1, "\(samples.keys.sorted())")
        XCTAssertGreaterThanOrEqual(samples["luagw_event_loop_blocked_seconds_total{}"] ?? 0, 1)
    }

    func testLuaSQLWaitingForALockIsReportedWithItsReplacement() throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/lua/5.4/luasql/sqlite3.so") else {
            throw XCTSkip("lua-sql-sqlite3 is not installed: run scripts/test")
        }
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger)
        // Another process holds the database's lock until its standard input closes.
        let holder = Process(), input = Pipe(), output = Pipe()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("CREATE TABLE t(x)")
            c.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            sys.stdin.read()
            c.execute("COMMIT")
            """, server.directory.appendingPathComponent("locked.db").path]
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        var said = Data()
        while !said.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { break }
            said += more
        }
        XCTAssertEqual(String(decoding: said, as: UTF8.self), "locked\n")
        let client = try server.client()
        try client.send("GET /luasql HTTP/1.1\r\nHost: t\r\n\r\n")
        let warning = try line(of: log, saying: "event loop has been blocked", "the warning, while the request waits for the lock")
        XCTAssertTrue(warning.contains("by GET /luasql in ") && warning.contains("luasql.lua:4 (conn:execute: LuaSQL waits"), warning)
        XCTAssertTrue(warning.contains("use luagw.sqlite or luagw.postgres"), warning)
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        XCTAssertEqual(try client.readResponse().text, "1")
        XCTAssertTrue(try line(of: log, saying: "event loop turns again after", "the last line").contains("(conn:execute:"))
    }

    func testAnUnknownBlockingCallIsLocatedWhenItReturns() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger)
        let fifo = server.directory.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let client = try server.client()
        try client.send("GET /fifo HTTP/1.1\r\nHost: t\r\n\r\n")
        let warning = try line(of: log, saying: "event loop has been blocked", "the warning, while the request blocks")
        XCTAssertTrue(warning.contains("by GET /fifo: its Lua code is in a C function that has not returned"), warning)
        let writer = try XCTUnwrap(FileHandle(forWritingAtPath: fifo))
        writer.write(Data("go\n".utf8))
        try writer.close()
        XCTAssertEqual(try client.readResponse().text, "go")
        let last = try line(of: log, saying: "event loop turns again after", "the last line")
        XCTAssertTrue(last.contains("blocked by GET /fifo: its Lua code went on at "), last)
        XCTAssertTrue(last.contains("fifo.lua:2") && last.contains("stack traceback:\n\t"), last)
    }

    func testWaitingAndComputingInTimeSlicesBlockNothing() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger, admin: true)
        XCTAssertEqual(try server.get("/waits").text, "waited")
        XCTAssertFalse(log.contains("event loop"), "\(log.messages)")
        XCTAssertEqual(try metrics(server)["luagw_event_loop_blocked_total{}"], 0)
    }
}
