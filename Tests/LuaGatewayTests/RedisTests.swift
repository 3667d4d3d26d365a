import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 7 against a real peer: OpenResty's own Redis client (Debian's lua-nginx-redis,
/// unchanged) over luagw's cosockets, through `require "luagw.ngx"`, against redis-server.
final class RedisTests: XCTestCase {
    private func app(redisPort: Int) throws -> String {
        let prelude = try PeerServer.openRestyClientPrelude("redis")
        return """
            \(prelude)
            local PORT = \(redisPort)

            local function show(v)
              if type(v) == "table" then
                local t = {}
                for i = 1, #v do t[i] = show(v[i]) end
                return "[" .. table.concat(t, ",") .. "]"
              end
              return tostring(v)
            end

            local actions = {}
            function actions.set(red, q) return red:set("k", q) end
            function actions.get(red) return red:get("k") end
            function actions.incr(red) return red:incr("counter") end
            function actions.missing(red) return red:get("no-such-key") == ngx.null and "null" or "?" end
            function actions.pipeline(red)
              red:init_pipeline()
              red:set("p", "1")
              red:incr("p")
              red:get("p")
              return red:commit_pipeline()
            end
            function actions.reused(red) return red:get_reused_times() end
            function actions.subscribe(red, q)
              red:set_timeout(tonumber(q) or 10000)
              local ok, err = red:subscribe("news")
              if not ok then return nil, err end
              return red:read_reply()
            end
            function actions.publish(red, q) return red:publish("news", q) end

            return function(e, sr)
              local red = redis:new()
              red:set_timeout(5000)
              local ok, err = red:connect("127.0.0.1", PORT)
              if not ok then sr(502, {}); return "connect: " .. tostring(err) end
              local res, err = actions[e.PATH_INFO:sub(2)](red, e.QUERY_STRING)
              if e.PATH_INFO ~= "/subscribe" then red:set_keepalive(10000, 10) else red:close() end
              sr(200, {})
              return res == nil and ("nil " .. tostring(err)) or show(res)
            end
            """
    }

    func testSetGetIncrAndANullReply() throws {
        let redis = try PeerServer.redis()
        let server = try TestServer(["r.lua": try app(redisPort: redis.port)])
        XCTAssertEqual(try server.get("/r/set?hello").text, "OK")
        XCTAssertEqual(try server.get("/r/get").text, "hello")
        XCTAssertEqual(try server.get("/r/incr").text, "1")
        XCTAssertEqual(try server.get("/r/incr").text, "2")
        XCTAssertEqual(try server.get("/r/missing").text, "null")
    }

    func testAPipeline() throws {
        let redis = try PeerServer.redis()
        let server = try TestServer(["r.lua": try app(redisPort: redis.port)])
        XCTAssertEqual(try server.get("/r/pipeline").text, "[OK,2,2]")
    }

    func testKeptAliveConnectionsAreReused() throws {
        let redis = try PeerServer.redis()
        let server = try TestServer(["r.lua": try app(redisPort: redis.port)], workers: 1)
        _ = try server.get("/r/get")
        XCTAssertGreaterThan(Int(try server.get("/r/reused").text) ?? 0, 0, "the second request reused the first's connection")
    }

    func testASubscriberWaitsWithoutBlockingThePublisher() throws {
        let redis = try PeerServer.redis()
        let server = try TestServer(["r.lua": try app(redisPort: redis.port)], workers: 1)
        let subscriber = try server.client()
        try subscriber.send("GET /r/subscribe HTTP/1.1\r\nHost: t\r\n\r\n")
        // The publisher runs on the same (only) worker while the subscriber waits on its socket.
        try waitUntil("the subscriber is subscribed") { (Int(try server.get("/r/publish?warm-up").text) ?? 0) == 1 }
        let answer = try subscriber.readResponse()
        XCTAssertEqual(answer.text, "[message,news,warm-up]")
    }

    func testASubscribeTimesOut() throws {
        let redis = try PeerServer.redis()
        let server = try TestServer(["r.lua": try app(redisPort: redis.port)])
        XCTAssertEqual(try server.get("/r/subscribe?100").text, "nil timeout")
    }
}
