import Foundation
import XCTest
@testable import LuaGateway

/// `luagw.sqlite` (SPEC 13) over real requests: a file in the served directory (WAL, read back
/// with Python's sqlite3), types both ways, bound parameters, transactions that commit, roll
/// back and are never seen half-done, a slow query that leaves the worker free, a request that
/// goes away inside a transaction.
final class SQLiteTests: XCTestCase {
    static let scripts = [
        "_db.lua": #"""
            local luagw = require "luagw"
            local db = luagw.sqlite.open("app.db")
            -- At the top level: runs at once (a script's load cannot wait).
            assert(db:exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT, score REAL, data BLOB, extra)"))
            return db
            """#,
        "add.lua": #"""
            local db = require "_db"
            return function(e, sr)
              local r, err = db:exec("INSERT INTO notes (body) VALUES (?)", e["wsgi.input"]:read("a"))
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return r and (r.changes .. " " .. r.last_insert_id) or ("error " .. err)
            end
            """#,
        "types.lua": #"""
            local luagw = require "luagw"
            local db = require "_db"
            return function(e, sr)
              local r = assert(db:exec("INSERT INTO notes (body, score, data, extra) VALUES (?, ?, ?, ?)",
                "text é", 2.5, "a\0b", luagw.null))
              local rows = assert(db:query("SELECT id, body, score, data, extra, ? AS big, ? AS yes FROM notes WHERE id = ?",
                math.maxinteger, true, r.last_insert_id))
              local row, out = rows[1], { "n=" .. rows.n, "ngx.null=" .. tostring(require("luagw.ngx").null == luagw.null) }
              for _, k in ipairs({ "id", "body", "score", "data", "extra", "big", "yes" }) do
                local v = row[k]
                out[#out + 1] = k .. ":" .. (v == luagw.null and "null" or math.type(v) or type(v)) .. "=" .. tostring(v)
              end
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return table.concat(out, " ")
            end
            """#,
        "body.lua": #"""
            local db = require "_db"
            return function(e, sr)
              local rows = assert(db:query("SELECT body FROM notes WHERE id = ?", tonumber(e.QUERY_STRING)))
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return rows[1] and rows[1].body or "none"
            end
            """#,
        "tx.lua": #"""
            local luagw = require "luagw"
            local db = require "_db"
            local modes = {
              commit = function(tx) assert(tx:exec("INSERT INTO notes (body) VALUES ('tx-commit')")) return "a", "b" end,
              raise = function(tx) assert(tx:exec("INSERT INTO notes (body) VALUES ('tx-raise')")) error("boom") end,
              refuse = function(tx) assert(tx:exec("INSERT INTO notes (body) VALUES ('tx-refuse')")) return nil, "refused" end,
              -- Half a transaction, then a wait for the flag (set by /flag), then the other half.
              half = function(tx)
                assert(tx:exec("INSERT INTO notes (body) VALUES ('half')"))
                luagw.shared.sqlite:set("inside", true)
                for _ = 1, 400 do
                  if luagw.shared.sqlite:get("go") then break end
                  luagw.sleep(0.05)
                end
                assert(tx:exec("INSERT INTO notes (body) VALUES ('half')"))
              end,
            }
            return function(e, sr)
              local results = { db:transaction(modes[e.QUERY_STRING]) }
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return tostring(results[1]) .. "," .. tostring(results[2]) .. "," .. tostring(results[3])
            end
            """#,
        "count.lua": #"""
            local db = require "_db"
            return function(e, sr)
              local rows, err = db:query("SELECT count(*) AS c FROM notes WHERE body = ?", e.QUERY_STRING)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return rows and tostring(rows[1].c) or err
            end
            """#,
        "flag.lua": #"""
            return function(e, sr)
              require("luagw").shared.sqlite:set(e.QUERY_STRING, true)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return "set"
            end
            """#,
        "flush.lua": #"""
            return function(e, sr)
              require("luagw").shared.sqlite:flush_all()
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return "flushed"
            end
            """#,
        "inside.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return tostring(require("luagw").shared.sqlite:get(e.QUERY_STRING ~= "" and e.QUERY_STRING or "inside"))
            end
            """#,
        "slow_rows.lua": #"""
            local db = require "_db"
            return function(e, sr)
              local rows = assert(db:query("SELECT count(*) AS c FROM notes WHERE body LIKE 'slow %'"))
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return tostring(rows[1].c)
            end
            """#,
        "slow.lua": #"""
            local db = require "_db"
            return function(e, sr)
              local rows = assert(db:query(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c",
                tonumber(e.QUERY_STRING)))
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return tostring(rows[1].n)
            end
            """#,
        // Holds the writer for a long time (a minute or so), unless it is interrupted.
        "slow_write.lua": #"""
            local db = require "_db"
            return function(e, sr)
              require("luagw").shared.sqlite:set("writing", true)
              local r, err = db:exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) "
                .. "INSERT INTO notes (body) SELECT 'slow ' || count(*) FROM c")
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return r and "done" or err
            end
            """#,
        // busy_timeout 0.3 s: another process's lock is waited for that long.
        "impatient.lua": #"""
            local db = require("luagw").sqlite.open("app.db", { busy_timeout = 0.3 })
            return function(e, sr)
              local r, err = db:exec("INSERT INTO notes (body) VALUES ('impatient')")
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return r and "written" or err
            end
            """#,
        "hello.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return "hello"
            end
            """#,
        "errors.lua": #"""
            local luagw = require "luagw"
            local db = require "_db"
            local ro = luagw.sqlite.open("app.db", { readonly = true })
            return function(e, sr)
              local _, syntax = db:query("SELEC nonsense")
              local _, readonly = ro:exec("DELETE FROM notes")
              local _, count = db:query("SELECT ?", 1, 2)
              local ok, misuse = pcall(db.query, db, "SELECT ?", {})
              db:close()
              local _, closed = db:query("SELECT 1")
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return table.concat({ syntax, readonly, count, misuse, closed }, "|")
            end
            """#,
    ]

    /// A server with the flags of `luagw.shared.sqlite` cleared: the dictionary is the process's,
    /// and a flag an earlier test left ("inside", "go") would let a transaction run through.
    private func makeServer() throws -> TestServer {
        let server = try TestServer(Self.scripts, pool: PoolLimits(initial: 1, maximum: 1, queue: 64))
        XCTAssertEqual(try server.get("/flush").text, "flushed")
        return server
    }

    private func post(_ server: TestServer, _ path: String, _ body: String) throws -> String {
        try server.client().request("POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)").text
    }

    func testTheFileIsMadeInTheServedDirectoryInWALMode() throws {
        let server = try makeServer()
        XCTAssertEqual(try post(server, "/add", "first"), "1 1")
        XCTAssertEqual(try post(server, "/add", "second"), "1 2")
        struct File: Decodable { let mode: String; let bodies: [String] }
        let file: File = try runPythonJSON("""
            import json, sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            print(json.dumps({"mode": c.execute("pragma journal_mode").fetchone()[0],
                              "bodies": [r[0] for r in c.execute("select body from notes order by id")]}))
            """, [server.directory.appendingPathComponent("app.db").path])
        XCTAssertEqual(file.mode, "wal")
        XCTAssertEqual(file.bodies, ["first", "second"])
    }

    func testTypesGoBothWays() throws {
        let server = try makeServer()
        XCTAssertEqual(try server.get("/types").text,
                       "n=1 ngx.null=true id:integer=1 body:string=text é score:float=2.5 data:string=a\u{0}b extra:null=null "
                       + "big:integer=\(Int.max) yes:integer=1")
    }

    func testParametersAreBoundNeverSpliced() throws {
        let server = try makeServer()
        let attack = "'); DROP TABLE notes; --"
        XCTAssertEqual(try post(server, "/add", attack), "1 1")
        XCTAssertEqual(try server.get("/body?1").text, attack)
        XCTAssertEqual(try server.get("/count?\(attack.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)").text, "0",
                       "the query string is not decoded by the app: nothing matches, nothing is dropped")
        XCTAssertEqual(try server.get("/body?1").text, attack, "the table is still there")
    }

    func testTransactionsCommitAndRollBack() throws {
        let server = try makeServer()
        XCTAssertEqual(try server.get("/tx?commit").text, "a,b,nil")
        XCTAssertEqual(try server.get("/count?tx-commit").text, "1")
        XCTAssertTrue(try server.get("/tx?raise").text.hasPrefix("nil,"), "a raised error is the err")
        XCTAssertTrue(try server.get("/tx?raise").text.contains("boom"))
        XCTAssertEqual(try server.get("/count?tx-raise").text, "0")
        XCTAssertEqual(try server.get("/tx?refuse").text, "nil,refused,nil")
        XCTAssertEqual(try server.get("/count?tx-refuse").text, "0")
    }

    func testAConcurrentReaderNeverSeesAHalfDoneTransaction() throws {
        let server = try makeServer()
        let writer = try server.client()
        try writer.send("GET /tx?half HTTP/1.1\r\nHost: t\r\n\r\n")
        waitUntil("the transaction has written half") { (try? server.get("/inside").text) == "true" }
        XCTAssertEqual(try server.get("/count?half").text, "0", "the reader sees none of it")
        XCTAssertEqual(try server.get("/flag?go").text, "set")
        XCTAssertEqual(try writer.readResponse().text, "true,nil,nil")
        XCTAssertEqual(try server.get("/count?half").text, "2", "then all of it")
    }

    func testASlowQueryLeavesTheWorkerFree() throws {
        let server = try makeServer()
        let slow = try RawClient(port: server.port, timeout: 120)
        let started = Date()
        try slow.send("GET /slow?10000000 HTTP/1.1\r\nHost: t\r\n\r\n")
        // The worker has one state and one event loop: hello is answered while the query runs.
        XCTAssertEqual(try server.get("/hello").text, "hello")
        let helloAt = Date().timeIntervalSince(started)
        XCTAssertEqual(try slow.readResponse().text, "10000000")
        let slowAt = Date().timeIntervalSince(started)
        XCTAssertLessThan(helloAt, slowAt, "hello came back before the slow query")
    }

    func testARequestThatGoesAwayInATransactionRollsItBack() throws {
        let server = try makeServer()
        do {
            let leaving = try server.client()
            try leaving.send("GET /tx?half HTTP/1.1\r\nHost: t\r\n\r\n")
            waitUntil("the transaction has written half") { (try? server.get("/inside").text) == "true" }
            leaving.resetOnClose()
        }
        // The writer connection comes back: a write is served, and the half is gone.
        XCTAssertEqual(try post(server, "/add", "after"), "1 1")
        XCTAssertEqual(try server.get("/count?half").text, "0")
    }

    /// A statement whose request ended is interrupted: the writer it held is free at once, and
    /// what it would have written is not there.
    func testAStatementOfARequestThatWentAwayIsInterrupted() throws {
        let server = try makeServer()
        do {
            let leaving = try server.client()
            try leaving.send("GET /slow_write HTTP/1.1\r\nHost: t\r\n\r\n")
            waitUntil("the slow write has started") { (try? server.get("/inside?writing").text) == "true" }
            leaving.resetOnClose()
        }
        // The next write queues behind the slow one on the writer: served only once it has stopped.
        XCTAssertEqual(try RawClient(port: server.port, timeout: 120).request(
            "POST /add HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nnext").text, "1 1")
        let rows = try server.get("/slow_rows").text
        XCTAssertEqual(rows, "0", "the slow insert was interrupted, not finished")
    }

    /// Another process holding the file's lock: a write waits up to busy_timeout on a database
    /// thread (the worker goes on serving), then answers nil and SQLite's message.
    func testAnotherProcesssLockIsWaitedForUpToTheBusyTimeout() throws {
        let server = try makeServer()
        XCTAssertEqual(try post(server, "/add", "first"), "1 1", "the file and its table exist")
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("begin exclusive")
            print("locked", flush=True)
            sys.stdin.read()
            c.execute("commit")
            """, server.directory.appendingPathComponent("app.db").path]
        let output = Pipe(), input = Pipe()
        holder.standardOutput = output
        holder.standardInput = input
        try holder.run()
        defer { try? input.fileHandleForWriting.close(); holder.waitUntilExit() }
        // Printed once the lock is held (the line may come in more than one read).
        XCTAssertTrue(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("locked"))
        let waiting = try server.client()
        try waiting.send("GET /impatient HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try server.get("/hello").text, "hello", "the worker serves while the write waits")
        XCTAssertEqual(try waiting.readResponse().text, "database is locked")
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        XCTAssertEqual(try server.get("/impatient").text, "written", "once the lock is gone")
    }

    func testErrorsAreNilAndTheDatabasesMessage() throws {
        let server = try makeServer()
        let parts = try server.get("/errors").text.components(separatedBy: "|")
        XCTAssertEqual(parts.count, 5, "\(parts)")
        XCTAssertEqual(parts[0], "near \"SELEC\": syntax error")
        XCTAssertEqual(parts[1], "attempt to write a readonly database")
        XCTAssertEqual(parts[2], "2 parameters given, the statement has 1")
        XCTAssertTrue(parts[3].contains("bad argument #2 to 'db:query' (a string, number, boolean, nil or luagw.null expected, got table)"),
                      parts[3])
        XCTAssertEqual(parts[4], "the database is closed")
    }
}
