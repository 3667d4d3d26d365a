import Foundation
import NIOConcurrencyHelpers
import XCTest
@testable import LuaGateway

/// `luagw.postgres`'s pools under load (SPEC 13): a slow query does not hold up the worker's
/// other requests, 30 requests share a pool of 5, one pool per worker serves every script, requests whose clients go away leave no
/// connection behind (nor a transaction open), and a reader never sees half a transaction.
final class PostgresPoolTests: XCTestCase {
    private static let actions = #"""
        function actions.fast() return db:query("SELECT 1 AS v")[1].v end
        function actions.sleep(q) return db:query("SELECT pg_sleep(" .. tonumber(q) .. ") AS slept") end
        function actions.echo(q)
          local rows, err = db:query("SELECT pg_sleep(0.1) AS s, $1::int AS v", q)
          if not rows then return nil, err end
          return rows[1].v
        end
        function actions.setup()
          assert(db:exec("CREATE TABLE accounts (name text PRIMARY KEY, balance int NOT NULL)"))
          assert(db:exec("INSERT INTO accounts VALUES ('a', 500), ('b', 500)"))
          assert(db:exec("CREATE TABLE log (entry text)"))
          return true
        end
        function actions.transfer()
          return db:transaction(function(tx)
            assert(tx:exec("UPDATE accounts SET balance = balance - 100 WHERE name = 'a'"))
            assert(tx:query("SELECT pg_sleep(3) AS transferring"))
            assert(tx:exec("UPDATE accounts SET balance = balance + 100 WHERE name = 'b'"))
          end)
        end
        function actions.balances()
          local rows = assert(db:query("SELECT name, balance FROM accounts ORDER BY name"))
          return rows[1].balance .. "+" .. rows[2].balance
        end
        function actions.abandoned()
          return db:transaction(function(tx)
            assert(tx:exec("INSERT INTO log VALUES ('abandoned')"))
            assert(tx:query("SELECT pg_sleep(1.5) AS abandoning"))
          end)
        end
        """#

    private func server(_ cluster: PostgresCluster, pool: Int = 10) throws -> TestServer {
        let source = PostgresApp.source(connect: "\"\(cluster.url("?pool=\(pool)"))\"", actions: Self.actions)
        return try TestServer(["p.lua": source], workers: 1, pool: PoolLimits(initial: 1, maximum: 4, queue: 64))
    }

    func testASlowQueryLeavesTheWorkersOtherRequestsFast() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster)
        let slow = try server.client()
        try slow.send("GET /p/sleep?60 HTTP/1.1\r\nHost: test\r\n\r\n")
        try waitUntil("the slow query to run") { try cluster.running("pg_sleep(60)") == 1 }
        for _ in 0..<5 { XCTAssertEqual(try server.get("/p/fast").text, "integer:1") }
        XCTAssertEqual(try cluster.running("pg_sleep(60)"), 1, "the fast requests did not wait for the slow one")
        try cluster.psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' "
                         + "AND pid <> pg_backend_pid()")
        XCTAssertEqual(try slow.readResponse().text, "nil 57014: canceling statement due to user request")
    }

    func testThirtyConcurrentRequestsShareAPoolOfFive() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster, pool: 5)
        let wrong = NIOLockedValueBox<[String]>([])
        var most = 0
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            for i in 0..<30 {
                DispatchQueue.global().async(group: done) {
                    let text = (try? server.get("/p/echo?\(i)").text) ?? "no answer"
                    wrong.withLockedValue { if text != "integer:\(i)" { $0.append(text) } }
                }
            }
        }
        var finished = false
        while !finished {
            most = max(most, try cluster.clientConnections())
            finished = done.wait(timeout: .now() + 0.01) == .success
        }
        XCTAssertEqual(wrong.withLockedValue { $0 }, [])
        XCTAssertLessThanOrEqual(most, 5, "the pool of 5 held to its size")
        XCTAssertLessThanOrEqual(try cluster.clientConnections(), 5)
        XCTAssertGreaterThan(try cluster.clientConnections(), 0, "the connections are kept for the next requests")
    }

    func testClientsThatGoAwayDuringAQueryLeaveNothingBehind() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster, pool: 3)
        XCTAssertEqual(try server.get("/p/setup").text, "true")
        var clients: [RawClient] = []
        for _ in 0..<8 {
            let client = try server.client()
            try client.send("GET /p/sleep?60 HTTP/1.1\r\nHost: test\r\n\r\n")
            clients.append(client)
        }
        try waitUntil("the pool's connections to be busy") { try cluster.running("pg_sleep(60)") == 3 }
        for client in clients { client.resetOnClose() }
        clients.removeAll()  // the clients went away (a reset), 3 statements running, 5 waiting for a connection
        waitUntil("their requests to end") { server.runningRequests == 0 }
        // The 3 running are stopped (their connections closed, the server ends them) well before
        // their minute; the 5 whose requests ended while they waited never ran: the pool is free.
        try waitUntil("the statements to end") { try cluster.running("pg_sleep(60)") == 0 }
        XCTAssertEqual(try server.get("/p/fast").text, "integer:1")
        XCTAssertEqual(try cluster.running("pg_sleep(60)"), 0)
        XCTAssertLessThanOrEqual(try cluster.clientConnections(), 3)

        // A transaction whose client goes away is rolled back, its connection not left in it.
        var abandoning: RawClient? = try server.client()
        try abandoning?.send("GET /p/abandoned HTTP/1.1\r\nHost: test\r\n\r\n")
        try waitUntil("the transaction to sleep") { try cluster.running("pg_sleep(1.5)") == 1 }
        abandoning?.resetOnClose()
        abandoning = nil
        try waitUntil("the transaction's request to end") {
            try cluster.running("pg_sleep") == 0 && server.runningRequests == 0
        }
        try waitUntil("the rollback") { try cluster.clientConnections(state: "idle in transaction") == 0 }
        XCTAssertEqual(try cluster.psql("SELECT count(*) FROM log"), "0", "the abandoned transaction was rolled back")
        XCTAssertLessThanOrEqual(try cluster.clientConnections(), 3)
        XCTAssertEqual(try server.get("/p/fast").text, "integer:1")
    }

    func testOnePoolPerWorkerSharedByEveryScriptAndState() throws {
        let cluster = try PostgresCluster()
        let a = PostgresApp.source(connect: "\"\(cluster.url("?pool=1"))\"", actions: Self.actions)
        let b = PostgresApp.source(connect: #"{host = "127.0.0.1", port = \#(cluster.port), user = "postgres", "#
                                   + #"password = "secret", database = "app", pool = 1}"#, actions: Self.actions)
        let server = try TestServer(["a.lua": a, "b.lua": b], workers: 2,
                                    pool: PoolLimits(initial: 2, maximum: 4, queue: 64))
        for i in 0..<12 { XCTAssertEqual(try server.get(i % 2 == 0 ? "/a/fast" : "/b/fast").text, "integer:1") }
        XCTAssertLessThanOrEqual(try cluster.clientConnections(), 2, "two workers, one connection each")
        XCTAssertGreaterThanOrEqual(try cluster.clientConnections(), 1)
    }

    func testAReaderNeverSeesHalfATransaction() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster)
        XCTAssertEqual(try server.get("/p/setup").text, "true")
        let transfer = try server.client()
        try transfer.send("GET /p/transfer HTTP/1.1\r\nHost: test\r\n\r\n")
        try waitUntil("the transfer to be half done") { try cluster.running("pg_sleep(3)") == 1 }
        var readsDuring = 0
        while try cluster.running("pg_sleep(3)") == 1 {
            let seen = try server.get("/p/balances").text
            if try cluster.running("pg_sleep(3)") == 1 {  // the read ran while the transfer was half done
                readsDuring += 1
                XCTAssertEqual(seen, #""500+500""#)
            } else {
                XCTAssertTrue([#""500+500""#, #""400+600""#].contains(seen), seen)
            }
        }
        XCTAssertGreaterThan(readsDuring, 0, "a read ran while the transfer was half done")
        XCTAssertEqual(try transfer.readResponse().text, "true")
        XCTAssertEqual(try server.get("/p/balances").text, #""400+600""#)
    }
}
