import XCTest

/// SPEC 4, first point: a bounded pool, then a bounded queue, then 503 (with one request per
/// state, so that each request holds a state: the pool's limits are reached with a few).
final class PoolTests: XCTestCase {
    static let scripts = [
        "wait.lua": #"return function(e, sr) local b = e["wsgi.input"]:read(); sr("200 OK", {}); return "got " .. b end"#,
        "fast.lua": #"return function(e, sr) sr("200 OK", {}); return "fast" end"#,
    ]

    func testQueuedRequestRunsWhenAStateIsFree() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 1, requestsPerState: 1, queue: 4))
        let holder = try server.client()
        try holder.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        server.waitForRunningRequests(1)
        let queued = try server.client()
        try queued.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        waitUntil("the request to queue") { server.queuedRequests == 1 }
        try holder.send("ok")
        XCTAssertEqual(try holder.readResponse().text, "got ok")
        XCTAssertEqual(try queued.readResponse().text, "fast")
    }

    func testFullQueueGets503() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 1, maximum: 1, requestsPerState: 1, queue: 0))
        let holder = try server.client()
        try holder.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        server.waitForRunningRequests(1)
        XCTAssertEqual(try server.get("/fast").code, 503)
        try holder.send("ok")
        XCTAssertEqual(try holder.readResponse().text, "got ok")
        XCTAssertEqual(try server.get("/fast").text, "fast", "the state went back")
    }

    func testPoolGrowsUpToItsLimit() throws {
        let server = try TestServer(Self.scripts, pool: .init(initial: 0, maximum: 3, requestsPerState: 1, queue: 0))
        let holders = try (0..<3).map { _ in try server.client() }
        for holder in holders {
            try holder.send("POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        }
        server.waitForRunningRequests(3)
        XCTAssertEqual(try server.get("/fast").code, 503)
        for holder in holders {
            try holder.send("ok")
            XCTAssertEqual(try holder.readResponse().text, "got ok")
        }
    }
}
