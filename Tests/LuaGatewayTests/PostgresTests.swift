import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 13's `luagw.postgres` against a real PostgreSQL 15 (a private cluster per test): the
/// types both ways, bound parameters, `exec`'s changes, SQLSTATE in errors, transactions,
/// connection failures, a script's top level (and a timer a request starts), and the server
/// restarted between two requests.
final class PostgresTests: XCTestCase {
    private static let actions = #"""
        function actions.setup()
          assert(db:exec("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text UNIQUE, data bytea)"))
          return true
        end
        function actions.types()
          local rows, err = db:query([[SELECT 1::int2 AS a, 2::int4 AS b, 9007199254740993::int8 AS c,
              1.5::float4 AS d, 0.1::float8 AS e, 'hé'::text AS f, 'v'::varchar AS g, 'n'::name AS h,
              '\x00ff41'::bytea AS i, true AS j, false AS k, NULL::int AS l,
              '2026-12-07 11:00:00.123456+01'::timestamptz AS m, '2026-12-07 10:00:00'::timestamp AS o,
              '-12.50'::numeric AS p, 0.000123::numeric AS q, 1234567.0::numeric AS r, 'NaN'::numeric AS s,
              '2026-12-07'::date AS t, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u,
              '{"a": 1}'::jsonb AS v, '{"b":2}'::json AS w, '1999-01-08'::date - 1 AS x]])
          if not rows then return nil, err end
          return rows[1]
        end
        function actions.bind()
          local rows, err = db:query([[SELECT $1::int8 + 1 AS i, $2::float8 * 2 AS f, $3::text AS s, $4::bool AS b,
              $5::int IS NULL AS n1, $6::text IS NULL AS n2, $7::timestamptz AS ts, $8::bytea AS bytes,
              $9::numeric + 1 AS num, $10::int4 AS untyped]],
            41, 1.25, "it's \"quoted\"", true, luagw.null, nil, "2026-12-07T10:00:00.5Z", "\0\255bin", "1.10", "7")
          if not rows then return nil, err end
          return rows[1]
        end
        function actions.rows()
          return db:query("SELECT g AS v FROM generate_series(1, 3) g WHERE g >= $1 ORDER BY g", 2)
        end
        function actions.none() return db:query("SELECT 1 AS v WHERE false") end
        function actions.insert(q) return db:exec("INSERT INTO notes (body) VALUES ($1)", q) end
        function actions.update() return db:exec("UPDATE notes SET body = body || '!' WHERE body <> ''") end
        function actions.body(q)
          local rows, err = db:query("SELECT body FROM notes WHERE body = $1", q)
          if not rows then return nil, err end
          return rows.n == 1 and rows[1].body or "none"
        end
        function actions.count() return db:query("SELECT count(*) AS n FROM notes")[1].n end
        function actions.bad() return db:query("SELEC 1") end
        function actions.badtype() return db:query("SELECT $1::int AS v", "not a number") end
        function actions.commit(q)
          return db:transaction(function(tx)
            assert(tx:exec("INSERT INTO notes (body) VALUES ($1)", q))
            assert(tx:exec("INSERT INTO notes (body) VALUES ($1)", q .. "-2"))
            return "done", 2
          end)
        end
        function actions.raise(q)
          return db:transaction(function(tx)
            assert(tx:exec("INSERT INTO notes (body) VALUES ($1)", q))
            error("changed my mind", 0)
          end)
        end
        function actions.refuse(q)
          return db:transaction(function(tx)
            assert(tx:exec("INSERT INTO notes (body) VALUES ($1)", q))
            return nil, "refused"
          end)
        end
        function actions.aborted(q)
          return db:transaction(function(tx)
            assert(tx:exec("INSERT INTO notes (body) VALUES ($1)", q))
            local ok, err = tx:exec("INSERT INTO notes (body) VALUES ($1)", q)  -- a duplicate, ignored
            return err
          end)
        end
        function actions.begin() return db:exec("BEGIN") end
        function actions.intx()
          return db:query("SELECT count(*) AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'")[1].n
        end
        function actions.closed()
          local other = luagw.postgres.connect(URL)
          assert(other:query("SELECT 1 AS v"))
          other:close()
          return other:query("SELECT 1 AS v")
        end
        function actions.zone() return db:query("SHOW TimeZone")[1].TimeZone end
        """#

    /// The application as p.lua, beside `others`.
    private func server(_ cluster: PostgresCluster, connect: String? = nil,
                        others: [String: String] = [:]) throws -> TestServer {
        let url = cluster.url()
        let source = "local URL = \"\(url)\"\n" + PostgresApp.source(connect: connect ?? "URL", actions: Self.actions)
        return try TestServer(others.merging(["p.lua": source]) { $1 })
    }

    func testTypesComeBackAsSpecified() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster)
        XCTAssertEqual(try server.get("/p/types").text,
                       #"{a=integer:1,b=integer:2,c=integer:9007199254740993,d=float:1.5,e=float:0.1,f="hé",g="v","#
                       + #"h="n",i=hex:00ff41,j=true,k=false,l=null,m="2026-12-07T10:00:00.123456+00:00","#
                       + #"o="2026-12-07T10:00:00.000000+00:00",p="-12.50",q="0.000123",r="1234567.0",s="NaN","#
                       + #"t="2026-12-07",u="a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",v="{\"a\": 1}",w="{\"b\":2}","#
                       + #"x="1999-01-07"}"#)
        XCTAssertEqual(try server.get("/p/zone").text, #""UTC""#, "sessions run in UTC")
    }

    func testParametersAreBoundTheSameWayBack() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster)
        XCTAssertEqual(try server.get("/p/bind").text,
                       #"{b=true,bytes=hex:00ff62696e,f=float:2.5,i=integer:42,n1=true,n2=true,num="2.10","#
                       + #"s="it's \"quoted\"",ts="2026-12-07T10:00:00.500000+00:00",untyped=integer:7}"#)
        XCTAssertEqual(try server.get("/p/rows").text, "{1={v=integer:2},2={v=integer:3},n=integer:2}")
        XCTAssertEqual(try server.get("/p/none").text, "{n=integer:0}")
    }

    func testExecCountsChangesAndErrorsCarryTheSQLSTATE() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster)
        XCTAssertEqual(try server.get("/p/setup").text, "true")
        XCTAssertEqual(try server.get("/p/insert?one").text, "{changes=integer:1}")
        XCTAssertEqual(try server.get("/p/insert?two").text, "{changes=integer:1}")
        XCTAssertEqual(try server.get("/p/update").text, "{changes=integer:2}")
        XCTAssertEqual(try server.get("/p/insert?one!").text,
                       #"nil 23505: duplicate key value violates unique constraint "notes_body_key""#)
        XCTAssertEqual(try server.get("/p/bad").text, #"nil 42601: syntax error at or near "SELEC""#)
        XCTAssertEqual(try server.get("/p/badtype").text,
                       #"nil 22P02: invalid input syntax for type integer: "not a number""#)
        XCTAssertEqual(try server.get("/p/closed").text, "nil the database is closed")
    }

    func testInjectionAttemptsAreStoredVerbatim() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster)
        XCTAssertEqual(try server.get("/p/setup").text, "true")
        let attempts = ["x'); DROP TABLE notes; --", "'; DELETE FROM notes WHERE ''='", "$1 $2 \\x00 ' \" ;",
                        "Robert'); SELECT pg_sleep(10); --"]
        for attempt in attempts {
            let escaped = attempt.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            XCTAssertEqual(try server.get("/p/insert?\(escaped)").text, "{changes=integer:1}")
            XCTAssertEqual(try cluster.psql("SELECT body = $$\(attempt)$$ FROM notes ORDER BY id DESC LIMIT 1"), "t")
        }
        XCTAssertEqual(try cluster.psql("SELECT count(*) FROM notes"), "\(attempts.count)")
    }

    func testTransactionsCommitOrRollBackAndLeaveNoConnectionInOne() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster)
        XCTAssertEqual(try server.get("/p/setup").text, "true")
        XCTAssertEqual(try server.get("/p/commit?a").text, #""done""#)
        XCTAssertEqual(try cluster.psql("SELECT string_agg(body, ',' ORDER BY id) FROM notes"), "a,a-2")
        XCTAssertEqual(try server.get("/p/raise?b").text, "nil changed my mind")
        XCTAssertEqual(try server.get("/p/refuse?c").text, "nil refused")
        XCTAssertEqual(try server.get("/p/aborted?d").text,
                       "nil 25P02: the transaction was rolled back (a statement in it failed)")
        XCTAssertEqual(try cluster.psql("SELECT string_agg(body, ',' ORDER BY id) FROM notes"), "a,a-2")
        // A BEGIN outside db:transaction: its connection is not given back in a transaction.
        XCTAssertEqual(try server.get("/p/begin").text, "{changes=integer:0}")
        XCTAssertEqual(try server.get("/p/intx").text, "integer:0")
        XCTAssertEqual(try cluster.clientConnections(state: "idle in transaction"), 0)
    }

    func testAStatementAtTheTopLevelSaysWhereToRunIt() throws {
        let cluster = try PostgresCluster()
        let source = """
            local luagw = require "luagw"
            local db = luagw.postgres.connect("\(cluster.url())")
            local ok, err = pcall(db.query, db, "SELECT 1")
            local function schema() assert(db:exec("CREATE TABLE made_by_a_timer (id int)")) end
            return function(e, sr)
              if e.QUERY_STRING == "timer" then luagw.timer.at(0, schema) end
              sr(200, {})
              return tostring(err)
            end
            """
        let server = try TestServer(["t.lua": source])
        let text = try server.get("/t").text
        XCTAssertTrue(text.contains("db:query: a postgres statement cannot run at a script's top level"), text)
        XCTAssertTrue(text.contains("run it in a request"), text)
        _ = try server.get("/t?timer")
        try waitUntil("the timer to make the schema") {
            try cluster.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'made_by_a_timer'") == "1"
        }
    }

    func testURLsAndTablesAndTheirMistakes() throws {
        let cluster = try PostgresCluster()
        // The table names the server's unix socket's directory (where the cluster trusts its clients).
        let table = #"{host = "\#(cluster.scratch.path)", port = \#(cluster.port), user = "postgres", database = "app", pool = 2}"#
        let mistakes = """
            local luagw = require "luagw"
            local function try(x) local ok, err = pcall(luagw.postgres.connect, x); return tostring(err) end
            return function(e, sr)
              sr(200, {})
              return table.concat({try("mysql://x"), try({sslmode = "prefer"}), try({pool = 0}), try(5),
                try("postgres://h/db?pool=3&x=1")}, "\\n")
            end
            """
        let server = try server(cluster, connect: table, others: ["m.lua": mistakes])
        XCTAssertEqual(try server.get("/p/rows").text, "{1={v=integer:2},2={v=integer:3},n=integer:2}")
        let seen = try server.get("/m").text.split(separator: "\n").map(String.init)
        let expected = ["'mysql://x' is not a postgres:// URL", "sslmode is disable, require or verify-full, got 'prefer'",
                        "pool is a number of connections per worker, 1 or more, got 0",
                        "bad argument #1 to 'luagw.postgres.connect' (a URL or a table expected, got number)",
                        "unknown URL parameter 'x' (sslmode and pool are known)"]
        XCTAssertEqual(seen.count, expected.count, "\(seen)")
        for (line, part) in zip(seen, expected) { XCTAssertTrue(line.contains(part), line) }
    }

    func testConnectionFailuresAreNilAndTheReason() throws {
        let cluster = try PostgresCluster()
        let refused = 1  // nothing listens on loopback's port 1
        let source = """
            local luagw = require "luagw"
            local dbs = {
              refused = luagw.postgres.connect("postgres://postgres:secret@127.0.0.1:\(refused)/app"),
              password = luagw.postgres.connect("postgres://postgres:wrong@127.0.0.1:\(cluster.port)/app"),
              database = luagw.postgres.connect("postgres://postgres:secret@127.0.0.1:\(cluster.port)/nothere"),
            }
            return function(e, sr)
              sr(200, {})
              local rows, err = dbs[e.QUERY_STRING]:query("SELECT 1")
              return tostring(rows) .. " " .. tostring(err)
            end
            """
        let server = try TestServer(["f.lua": source])
        let refusedText = try server.get("/f?refused").text
        XCTAssertTrue(refusedText.hasPrefix("nil postgres postgres@127.0.0.1:\(refused)/app: "), refusedText)
        XCTAssertTrue(refusedText.lowercased().contains("refused"), refusedText)
        XCTAssertEqual(try server.get("/f?password").text, #"nil 28P01: password authentication failed for user "postgres""#)
        XCTAssertEqual(try server.get("/f?database").text, #"nil 3D000: database "nothere" does not exist"#)
    }

    func testTheServerRestartedBetweenTwoRequests() throws {
        let cluster = try PostgresCluster()
        let server = try server(cluster)
        XCTAssertEqual(try server.get("/p/setup").text, "true")
        XCTAssertEqual(try server.get("/p/insert?before").text, "{changes=integer:1}")
        cluster.stop()
        try cluster.start()
        XCTAssertEqual(try server.get("/p/insert?after").text, "{changes=integer:1}")
        XCTAssertEqual(try server.get("/p/count").text, "integer:2")
    }
}
