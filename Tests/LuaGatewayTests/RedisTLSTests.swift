import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 11's TLS out with a real client library: OpenResty's Redis client (Debian's
/// lua-nginx-redis, unchanged) against redis-server speaking TLS only, its certificate from a
/// throwaway authority given with `--ca-file`. lua-nginx-redis 0.27 has no `ssl` option on
/// `connect`: the application shakes hands on the client's socket when the connection is new
/// (`get_reused_times() == 0`), as OpenResty applications did before the option came.
final class RedisTLSTests: XCTestCase {
    /// A luagw server whose application runs SET (when there is a query) and GET on `redis`,
    /// trusting `authority` (none when nil); it answers the connection's reuse count, SET's and
    /// GET's replies and the Redis client id of the connection.
    private func server(redis: PeerServer, trusting authority: String?) throws -> TestServer {
        let app = try PeerServer.openRestyClientPrelude("redis") + """

            return function(e, sr)
              local red = redis:new()
              red:set_timeout(5000)
              assert(red:connect("127.0.0.1", \(redis.port), { pool = "redis-tls" }))
              local reused = red:get_reused_times()
              if reused == 0 then
                local session, err = red._sock:sslhandshake(nil, "localhost", true)
                if not session then sr(502, {}); return "handshake: " .. err end
              end
              local set = e.QUERY_STRING ~= "" and assert(red:set("k", e.QUERY_STRING)) or "-"
              local got = assert(red:get("k"))
              local id = assert(red:client("id"))
              assert(red:set_keepalive(10000, 10))
              sr(200, {})
              return table.concat({ reused, set, got, id }, " ")
            end
            """
        return try TestServer(["r.lua": app]) { $0.caFiles = authority.map { [$0] } ?? [] }
    }

    /// A certificate for localhost from a new authority, and redis-server serving it over TLS.
    private func redis() throws -> (certificates: TestCertificates, redis: PeerServer) {
        let certificates = try TestCertificates()
        let redis = try PeerServer.redisTLS(try certificates.issue("redis"), authority: certificates.authority)
        return (certificates, redis)
    }

    func testSetAndGetOverTLSThenThePooledConnectionWithoutASecondHandshake() throws {
        let (certificates, redis) = try redis()
        let server = try server(redis: redis, trusting: certificates.authority)
        let first = try server.get("/r?over-tls").text.split(separator: " ").map(String.init)
        XCTAssertEqual(first.prefix(3), ["0", "OK", "over-tls"], "\(first)")
        // The second request takes the first's connection from the pool, encrypted already:
        // Redis sees the same client, and a plain-text command there would have failed.
        let second = try server.get("/r").text.split(separator: " ").map(String.init)
        XCTAssertEqual(second.prefix(3), ["1", "-", "over-tls"], "\(second)")
        XCTAssertEqual(second.last, first.last, "the same Redis client id: one connection, one handshake")
    }

    func testWithoutTheAuthorityTheHandshakeIsRefused() throws {
        let (_, redis) = try redis()
        let server = try server(redis: redis, trusting: nil)
        let answer = try server.get("/r?x")
        XCTAssertEqual(answer.code, 502)
        XCTAssertTrue(answer.text.hasPrefix("handshake: certificate verify failed: "), answer.text)
    }
}
