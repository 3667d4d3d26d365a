import Foundation
import XCTest
@testable import LuaGateway
#if canImport(Glibc)
import Glibc
#endif

/// Malformed and truncated requests, made at random (from a fixed seed) for a bounded time:
/// the server neither crashes nor hangs, and keeps answering well-formed requests.
final class FuzzTests: XCTestCase {
    /// A small deterministic generator (xorshift), so that a failure can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let seeds: [[UInt8]] = [
        "GET /echo?x=1 HTTP/1.1\r\nHost: t\r\nCookie: a=1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /echo HTTP/1.1\r\nHost: t\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    ].map { Array($0.utf8) }

    static let fragments: [[UInt8]] = ["\r\n", "\n", "\0", ":", " ", "\r\n\r\n", "Content-Length: 99999999999999999999\r\n",
                                       "Transfer-Encoding: chunked\r\n", "ffffffffffffffff\r\n", "%", "%zz", "\u{7f}", "HTTP/9.9",
                                       "Content-Length: -1\r\n", "Host: a\r\nHost: b\r\n"].map { Array($0.utf8) }

    func mutate(_ input: [UInt8], _ random: inout Random) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) {
            switch random.below(5) {
            case 0: bytes = Array(bytes.prefix(random.below(bytes.count + 1)))  // truncate
            case 1 where !bytes.isEmpty: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())  // flip
            case 2: bytes.insert(contentsOf: Self.fragments[random.below(Self.fragments.count)], at: random.below(bytes.count + 1))
            case 3 where !bytes.isEmpty: bytes.remove(at: random.below(bytes.count))
            default: bytes += Self.seeds[random.below(Self.seeds.count)]  // pipeline another
            }
        }
        return bytes
    }

    func testRandomMalformedRequestsNeitherCrashNorHang() throws {
        let server = try TestServer([
            "echo.lua": #"""
                return function(e, sr)
                  local body = e["wsgi.input"]:read()
                  sr("200 OK", {{"Content-Type", "text/plain"}})
                  return e.REQUEST_METHOD .. " " .. e.PATH_INFO .. " " .. #body
                end
                """#,
        ], pool: .init(initial: 2, maximum: 8, queue: 64),
           limits: RequestLimits(maxBodyBytes: 1 << 20, keepAliveTimeout: 0.2, headerTimeout: 0.2, bodyTimeout: 0.2))
        let until = Date().addingTimeInterval(Double(ProcessInfo.processInfo.environment["LUAGW_FUZZ_SECONDS"] ?? "3") ?? 3)
        let lock = NSLock()
        var cases = 0
        var hung: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { lane in
            var random = Random(state: 0x9E3779B97F4A7C15 &+ UInt64(lane))
            while Date() < until {
                let input = mutate(Self.seeds[random.below(Self.seeds.count)], &random)
                guard let client = try? RawClient(port: server.port, timeout: 15) else { continue }
                try? client.send(input)
                if random.below(2) == 0 { client.shutdownWrite() }
                // Whatever comes back, the server must be done with this connection (answered, closed) in bounded time:
                // its limits are 0.2 s and the linger 2 s; 10 s leaves room for a busy machine.
                let start = Date()
                _ = try? client.readToEnd()
                lock.withLock {
                    cases += 1
                    if Date().timeIntervalSince(start) > 10 { hung.append(String(decoding: input, as: UTF8.self).debugDescription) }
                }
            }
        }
        XCTAssertEqual(hung, [], "connections that hung")
        XCTAssertEqual(try server.get("/echo").text, "GET  0")
        print("fuzz: \(cases) random malformed or truncated requests, the server kept serving")
        XCTAssertGreaterThan(cases, 50)
    }
}
