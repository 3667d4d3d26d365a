import Foundation
import XCTest
@testable import LuaGateway

/// Debian's lua-nginx-redis-connector (lua-resty-redis-connector, unchanged) over luagw.ngx
/// against a real redis-server, and through a real Redis Sentinel: a DSN URL, the database it
/// selects, connections back to the keep-alive pool. It reads OpenResty's leniencies: `ngx.re`'s
/// `false` for an unmatched group, a table passed as a socket timeout (the default then),
/// `table.new`.
final class RedisConnectorTests: XCTestCase {
    /// An application answering `/redis?db=&key=[&value=]` (a SET, or a GET) over a connection
    /// made by URL, `/sentinel?...` over one to the master the Sentinel names and `/replica?...`
    /// to a replica it names: the reply, the connection's reuse count, and what putting it back
    /// in the pool returned.
    private func app(redis: PeerServer, sentinel: PeerServer? = nil) throws -> String {
        let prelude = try PeerServer.openRestyClientPrelude("connector", module: "nginx.redis.connector")
        guard FileManager.default.fileExists(atPath: try PeerServer.clientLibraryPath() + "/nginx/redis/connector.lua") else {
            throw XCTSkip("lua-nginx-redis-connector is not unpacked: run scripts/test")
        }
        return """
            \(prelude)
            local REDIS, SENTINEL = \(redis.port), \(sentinel?.port ?? 0)

            return function(e, sr)
              local q = ngx.decode_args(e.QUERY_STRING or "")
              local rc = connector.new({ connect_timeout = 5000, read_timeout = 5000 })
              local red, err
              if e.PATH_INFO ~= "/redis" then
                local role = e.PATH_INFO == "/sentinel" and "m" or "s"
                red, err = rc:connect({ url = "sentinel://mymaster:" .. role .. "/" .. q.db,
                                        sentinels = { { host = "127.0.0.1", port = SENTINEL } } })
              else
                red, err = rc:connect({ url = "redis://127.0.0.1:" .. REDIS .. "/" .. q.db })
              end
              if not red then sr(502, {}); return "connect: " .. tostring(err) end
              local res, rerr
              if q.value then res, rerr = red:set(q.key, q.value) else res, rerr = red:get(q.key) end
              local reused = red:get_reused_times()
              local kept, kerr = rc:set_keepalive(red)
              sr(200, {})
              return table.concat({ res == ngx.null and "null" or tostring(res or rerr), tostring(reused),
                                    tostring(kept or kerr) }, " ")
            end
            """
    }

    private func answer(_ server: TestServer, _ path: String) throws -> [String] {
        let response = try server.get(path)
        XCTAssertEqual(response.code, 200, response.text)
        return response.text.split(separator: " ").map(String.init)
    }

    func testConnectsByURLSelectsTheDatabaseAndKeepsConnectionsAlive() throws {
        let redis = try PeerServer.redis()
        let server = try TestServer(["c.lua": try app(redis: redis)], workers: 1)
        XCTAssertEqual(try answer(server, "/c/redis?db=2&key=k&value=in%20two"), ["OK", "0", "1"])
        let again = try answer(server, "/c/redis?db=2&key=k")
        XCTAssertEqual(again.prefix(2), ["in", "two"])
        XCTAssertGreaterThan(Int(again[2]) ?? 0, 0, "the second request reused the first's connection")
        XCTAssertEqual(again[3], "1")
        XCTAssertEqual(try answer(server, "/c/redis?db=0&key=k").first, "null", "database 0 has no k: db 2 was selected")
    }

    func testAsksTheSentinelForTheMaster() throws {
        let scratch = try ScratchDirectory("luagw-sentinel")
        defer { scratch.remove() }
        let redis = try PeerServer.redis()
        let sentinel = try PeerServer.sentinel(watching: redis, as: "mymaster", in: scratch)
        let server = try TestServer(["c.lua": try app(redis: redis, sentinel: sentinel)], workers: 1)
        XCTAssertEqual(try answer(server, "/c/redis?db=3&key=k&value=v"), ["OK", "0", "1"])
        XCTAssertEqual(try answer(server, "/c/sentinel?db=3&key=k").first, "v", "the Sentinel's master is the Redis written to")
        XCTAssertEqual(try answer(server, "/c/sentinel?db=3&key=k&value=w").first, "OK")
        XCTAssertEqual(try answer(server, "/c/redis?db=3&key=k").first, "w")
    }

    func testAsksTheSentinelForAReplica() throws {
        let scratch = try ScratchDirectory("luagw-sentinel")
        defer { scratch.remove() }
        let redis = try PeerServer.redis()
        let replica = try PeerServer.redisReplica(of: redis, in: scratch)
        let sentinel = try PeerServer.sentinel(watching: redis, as: "mymaster", in: scratch)
        let server = try TestServer(["c.lua": try app(redis: redis, sentinel: sentinel)], workers: 1)
        XCTAssertEqual(try answer(server, "/c/redis?db=0&key=k&value=copied"), ["OK", "0", "1"])
        // The Sentinel learns of the replica from the master, and the replica catches up.
        try waitUntil(seconds: 60, "the Sentinel names a replica that has k") {
            try server.get("/c/replica?db=0&key=k").text.hasPrefix("copied ")
        }
        XCTAssertEqual(try answer(server, "/c/replica?db=0&key=other&value=x").first, "READONLY",
                       "the connection is to the replica (\(replica.port)), which refuses writes")
    }
}
