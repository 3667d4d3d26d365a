import Foundation
import NIOConcurrencyHelpers
import XCTest

/// SPEC 13's scale-out (docs/deployment.md, "Several processes, one PostgreSQL and one Redis"):
/// two luagw processes behind the documented nginx, both writing to one PostgreSQL from
/// concurrent clients: every write answered 200 is in the table once, none is lost or doubled.
final class ScaleOutDatabaseTests: XCTestCase {
    static func app(_ machine: String, url: String) -> String {
        #"""
        local db = require("luagw").postgres.connect("\#(url)")
        return function(e, sr)
          local client, n = e.QUERY_STRING:match("^(%d+)-(%d+)$")
          local rows, err = db:query("INSERT INTO writes (client, n, machine) VALUES ($1, $2, $3) RETURNING id",
            tonumber(client), tonumber(n), "\#(machine)")
          if not rows then
            sr(500, { { "Content-Type", "text/plain" } })
            return err
          end
          sr(200, { { "Content-Type", "text/plain" } })
          return "\#(machine) " .. rows[1].id
        end
        """#
    }

    func testTwoProcessesBehindNginxLoseNoWrite() throws {
        let cluster = try PostgresCluster()
        try cluster.psql("CREATE TABLE writes (id bigserial PRIMARY KEY, client int NOT NULL, n int NOT NULL, "
                         + "machine text NOT NULL, UNIQUE (client, n))")
        let url = cluster.url("?pool=4")
        let machineA = try LuagwProcess(["write.lua": Self.app("a", url: url)])
        let machineB = try LuagwProcess(["write.lua": Self.app("b", url: url)])
        let scratch = try ScratchDirectory("luagw-scale-out-db")
        defer { scratch.remove() }
        let nginx = try DocumentedNginx.start(servers: ["127.0.0.1:\(machineA.port)", "127.0.0.1:\(machineB.port)"], in: scratch)
        defer { nginx.process.terminate(); nginx.process.waitUntilExit() }

        // Eight clients, fifty POSTs each (nginx never sends a POST twice): each write has its own (client, n).
        let tally = NIOLockedValueBox((answered: [String: Int](), failures: [String]()))
        let clients = (0..<8).map { client in
            Thread {
                do {
                    let connection = try RawClient(port: nginx.port, timeout: 30)
                    for n in 0..<50 {
                        let response = try connection.request("POST /write?\(client)-\(n) HTTP/1.1\r\nHost: example.org\r\n"
                                                              + "Content-Length: 0\r\n\r\n")
                        tally.withLockedValue {
                            if response.code == 200 { $0.answered[String(response.text.prefix(1)), default: 0] += 1 }
                            else { $0.failures.append("\(response.statusLine): \(response.text)") }
                        }
                    }
                } catch {
                    tally.withLockedValue { $0.failures.append("\(error)") }
                }
            }
        }
        clients.forEach { $0.start() }
        waitUntil(seconds: 120, "every client's fifty writes") { tally.withLockedValue { $0.answered.values.reduce(0, +) + $0.failures.count == 400 } }
        let (counts, failed) = tally.withLockedValue { ($0.answered, $0.failures) }
        XCTAssertEqual(failed, [], "every write answered 200")
        XCTAssertGreaterThan(counts["a"] ?? 0, 0, "machine a served writes")
        XCTAssertGreaterThan(counts["b"] ?? 0, 0, "machine b served writes")
        XCTAssertEqual(try cluster.psql("SELECT count(*), count(DISTINCT (client, n)) FROM writes"), "400|400",
                       "every write is in the table, once")
        XCTAssertEqual(try cluster.psql("SELECT count(*) FROM writes WHERE machine = 'a'"), "\(counts["a"] ?? 0)")
        withExtendedLifetime((machineA, machineB)) {}
    }
}
