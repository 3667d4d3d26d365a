import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 10: `--state-max-requests N` replaces a state after N requests (plus a jitter of up to a
/// tenth, drawn for each state); no request fails, and memory stays flat.
final class StateRecyclingTests: XCTestCase {
    /// Answers "STATE SERVED": which state (a table's address, made once per state) and how
    /// many requests that state has served.
    static let counter = #"""
        local state = tostring({}):match("0x%x+")
        local served = 0
        return function(e, sr)
          served = served + 1
          sr(200, { { "Content-Type", "text/plain" } })
          return state .. " " .. served
        end
        """#

    func testStatesAreReplacedAfterTheirRequestsAndNoRequestFails() throws {
        let server = try TestServer(["count.lua": Self.counter],
                                    pool: PoolLimits(initial: 1, maximum: 1, queue: 16, maxRequestsPerState: 20))
        let client = try server.client()
        var servedBy: [String: [Int]] = [:]
        var order: [String] = []
        for _ in 0..<230 {
            let response = try client.request("GET /count HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(response.code, 200)
            let parts = response.text.split(separator: " ")
            let state = String(parts[0])
            if servedBy[state] == nil { order.append(state) }
            servedBy[state, default: []].append(Int(parts[1]) ?? 0)
        }
        XCTAssertGreaterThanOrEqual(order.count, 10, "230 requests, 20 to 22 a state: \(order.count) states")
        for state in order.dropLast() {
            let counts = servedBy[state]!
            XCTAssertEqual(counts, Array(1...counts.count), "one state at a time, each request once")
            XCTAssertTrue((20...22).contains(counts.count), "replaced after 20 requests plus a jitter of up to 2: \(counts.count)")
        }
    }

    func testMemoryStaysFlatWhileStatesAreReplaced() throws {
        let process = try LuagwProcess(["count.lua": Self.counter], arguments: ["--state-max-requests", "10"])
        let client = try process.client()
        func serve(_ n: Int) throws {
            for _ in 0..<n {
                let response = try client.request("GET /count HTTP/1.1\r\nHost: t\r\n\r\n")
                XCTAssertEqual(response.code, 200)
                let served = Int(response.text.split(separator: " ").last ?? "") ?? 0
                XCTAssertTrue((1...11).contains(served), "a state serves 10 requests, 11 with its jitter: \(served)")
            }
        }
        try serve(1_000)
        let after1000 = process.memoryKiB("VmRSS")
        try serve(3_000)
        let after4000 = process.memoryKiB("VmRSS")
        print("memory with --state-max-requests 10: \(after1000) KiB after 1,000 requests, \(after4000) KiB after 4,000")
        XCTAssertLessThan(after4000 - after1000, 4 * 1024, "about 300 states replaced: memory stays flat")
    }
}
