import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 7's `luagw.shared`: one store for the process, OpenResty's methods and return values,
/// expiry, least-recently-used eviction past the capacity, and life across reloads.
final class SharedDictionaryTests: XCTestCase {
    static let app = #"""
        local shared = require("luagw").shared
        local function show(...)
          local t = table.pack(...)
          for i = 1, t.n do t[i] = tostring(t[i]) end
          return table.concat(t, " ", 1, t.n)
        end
        local actions = {
          incr = function(d) return show(d:incr("hits", 1, 0)) end,
          set = function(d, q) return show(d:set("k", q)) end,
          get = function(d) return show(d:get("k")) end,
          add = function(d) return show(d:add("k", "again")) end,
          replace = function(d) return show(d:replace("none", 1)) end,
          types = function(d)
            d:set("t", true); d:set("n", 1.5); d:set("i", 7)
            return show(d:get("t"), d:get("n"), d:get("i"), math.type(d:get("i")))
          end,
          ttl = function(d)
            d:set("e", "x", 100)
            local left = d:ttl("e")
            return show(left > 99 and left <= 100, d:ttl("k2"), d:expire("e", 0), d:ttl("e"))
          end,
          keys = function(d)
            d:flush_all(); d:set("a", 1); d:set("b\0c", 2)
            local keys = d:keys(); table.sort(keys)
            return show(#keys, keys[1], keys[2] == "b\0c")
          end,
          keysmax = function(d)
            d:flush_all()
            for i = 1, 1100 do d:set("k" .. i, i) end
            return show(#d:keys(1), #d:keys(3), #d:keys(), #d:keys(0))
          end,
          sorted = function(d)
            local t = { 3, 1, 2 }
            table.sort(t, function(a, b) d:incr("compares", 1, 0); return a < b end)
            return show(d:get("compares") > 0)
          end,
          misuse = function(d) return show(pcall(d.set, d, "k", {})) end,
        }
        return function(e, sr)
          sr(200, {})
          return actions[e.PATH_INFO:sub(2)](shared[e.QUERY_STRING ~= "" and "other" or "main"], e.QUERY_STRING)
        end
        """#

    func testOneStoreForEveryWorkerAndState() throws {
        let server = try TestServer(["d.lua": Self.app], workers: 2, pool: PoolLimits(initial: 2, maximum: 4, queue: 16))
        var seen: [String] = []
        for _ in 0..<20 { seen.append(try server.get("/d/incr").text) }
        XCTAssertEqual(seen.first?.hasPrefix("1 nil"), true)
        XCTAssertEqual(Set(seen).count, 20, "each increment saw the one before, on whichever worker and state")
    }

    func testOpenRestysMethodsAndResults() throws {
        let server = try TestServer(["d.lua": Self.app])
        XCTAssertEqual(try server.get("/d/set?v1").text, "true nil false")
        XCTAssertEqual(try server.get("/d/get?x").text, "v1")
        XCTAssertEqual(try server.get("/d/add?x").text, "false exists false")
        XCTAssertEqual(try server.get("/d/replace?x").text, "false not found false")
        XCTAssertEqual(try server.get("/d/types?x").text, "true 1.5 7 integer")
        XCTAssertEqual(try server.get("/d/ttl?x").text, "true nil true 0")
        XCTAssertEqual(try server.get("/d/keys?x").text, "2 a true")
        XCTAssertEqual(try server.get("/d/keysmax?x").text, "1 3 1024 1100", "keys(max): max, 1024 by default, 0 for all")
        XCTAssertEqual(try server.get("/d/sorted?x").text, "true", "it works where Lua cannot yield")
        XCTAssertTrue(try server.get("/d/misuse?x").text.hasPrefix("false "))
    }

    func testTheStoreOutlivesAReload() throws {
        let server = try TestServer(["d.lua": Self.app], reload: .signal)
        XCTAssertEqual(try server.get("/d/set?kept").text, "true nil false")
        try server.write("d.lua", Self.app + "\n-- changed")
        _ = server.server.reload()
        waitUntil("the new generation serves") { server.server.workers!.collect { $0.pool.scripts.generation }.allSatisfy { $0 > 1 } }
        XCTAssertEqual(try server.get("/d/get?x").text, "kept")
    }

    func testExpiryAndEvictionOfTheLeastRecentlyUsed() {
        let d = SharedDictionary(capacity: 4 * (SharedDictionary.entryCost + 1 + 8 + 8))
        for key in ["a", "b", "c", "d"] {
            XCTAssertEqual(d.store(Array(key.utf8), .integer(1), ttl: nil, mode: .set), .stored(forcible: false))
        }
        XCTAssertNotNil(d.get(Array("a".utf8)), "a is now the most recently used")
        XCTAssertEqual(d.store(Array("e".utf8), .integer(1), ttl: nil, mode: .set), .stored(forcible: true))
        XCTAssertNil(d.get(Array("b".utf8)), "b was the least recently used: evicted")
        XCTAssertNotNil(d.get(Array("a".utf8)))
        XCTAssertEqual(d.store(Array("t".utf8), .bytes([1]), ttl: 0.000_001, mode: .set), .stored(forcible: true))
        waitUntil("a microsecond passes") { d.get(Array("t".utf8)) == nil }
        XCTAssertEqual(d.increment(Array("n".utf8), by: .integer(2), initial: nil, ttl: nil), .notFound)
        XCTAssertEqual(d.increment(Array("a".utf8), by: .number(0.5), initial: nil, ttl: nil), .value(.number(1.5), forcible: false))
        XCTAssertEqual(d.store(Array(repeating: 65, count: 1000), .integer(1), ttl: nil, mode: .set), .tooLarge)
    }
}
