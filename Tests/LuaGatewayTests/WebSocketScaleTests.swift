import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// Many open WebSockets on one worker (SPEC 12: a WebSocket costs a coroutine, not a state):
/// 2,000 each echo a message, the memory they hold is bounded, and closing them leaves nothing.
final class WebSocketScaleTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        ManyRequestsPerStateTests.raiseDescriptorLimit()  // 2,000 clients and their server ends
    }

    func testTwoThousandOpenWebSocketsOnOneWorker() throws {
        let count = 2000
        let server = try TestServer(["echo.lua": webSocketEchoScript(timeoutMilliseconds: 600_000)])
        let luaBefore = server.server.workers!.collect { $0.pool.memory }.reduce(0, +)
        let residentBefore = procStatusKiB("VmRSS", pid: getpid())
        var clients: [WebSocketClient] = []
        for index in 0..<count {
            let client = try WebSocketClient(port: server.port)
            try client.open("/echo")
            try client.sendText("n\(index)")
            XCTAssertEqual(try client.receiveFrame().text, "n\(index)")
            clients.append(client)
        }
        let open = server.server.workers!.collect { $0.webSockets.count }.reduce(0, +)
        XCTAssertEqual(open, count)
        XCTAssertEqual(server.busyStates, 1, "all on one state: a WebSocket costs a coroutine")
        let luaPer = (server.server.workers!.collect { $0.pool.memory }.reduce(0, +) - luaBefore) / count
        let residentPer = (procStatusKiB("VmRSS", pid: getpid()) - residentBefore) * 1024 / count
        print("websocket scale: \(count) open, Lua \(luaPer) B each, process RSS growth \(residentPer) B each (server and test clients)")
        XCTAssertLessThan(luaPer, 16 << 10, "Lua memory per WebSocket")
        XCTAssertLessThan(residentPer, 96 << 10, "resident memory per WebSocket (the test's own clients included)")
        // Every one still answers, then all close; nothing is left.
        for (index, client) in clients.enumerated() where index % 100 == 0 {
            try client.sendText("again")
            XCTAssertEqual(try client.receiveFrame().text, "again")
        }
        for client in clients {
            try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1000))
        }
        for client in clients {
            XCTAssertEqual(try client.receiveFrame().closeCode, 1000)
        }
        waitUntil("every WebSocket closed") { server.server.workers!.collect { $0.webSockets.count }.reduce(0, +) == 0 }
        waitUntil("every connection closed") { server.openConnections == 0 }
        waitUntil("every request ended") { server.runningRequests == 0 }
    }
}
