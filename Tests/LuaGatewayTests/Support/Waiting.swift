import Foundation
import XCTest
@testable import LuaGateway

/// Waits for a condition to become true, checking it every few milliseconds, up to a generous
/// deadline (the machine may be busy): tests wait on events, never on a fixed sleep.
@discardableResult
func waitUntil(seconds: Double = 20, file: StaticString = #filePath, line: UInt = #line,
               _ what: String, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.005)
    }
    XCTFail("waited \(seconds) s for \(what)", file: file, line: line)
    return false
}

extension TestServer {
    /// Live and idle states, over every worker.
    var poolSizes: (live: Int, idle: Int) {
        server.workers!.collect { $0.pool.sizes }.reduce((0, 0)) { ($0.0 + $1.live, $0.1 + $1.idle) }
    }

    /// States running at least one request, over every worker.
    var busyStates: Int { poolSizes.live - poolSizes.idle }

    /// Requests (and timer runs) running on states, over every worker.
    var runningRequests: Int {
        server.workers!.collect { $0.pool.requestsPerState.reduce(0, +) }.reduce(0, +)
    }

    /// Requests waiting in the pools' queues for a state, over every worker.
    var queuedRequests: Int {
        server.workers!.collect { $0.pool.queueLength }.reduce(0, +)
    }

    /// Connections open (HTTP/2 ones and their streams too), over every worker.
    var openConnections: Int {
        server.workers!.collect { $0.connections.count + $0.http2Connections.count }.reduce(0, +)
    }

    /// Waits until `count` requests run on states (their applications are running or suspended).
    func waitForRunningRequests(_ count: Int, file: StaticString = #filePath, line: UInt = #line) {
        waitUntil(file: file, line: line, "\(count) running requests") { runningRequests >= count }
    }
}
