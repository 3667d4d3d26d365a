import Foundation
import Logging
import XCTest
@testable import LuaGateway

/// examples/chat.lua and public/chat.html: a chat room whose lines reach every connection, on
/// every worker (luagw.websocket plus the luagw.shared log).
final class WebSocketChatTests: XCTestCase {
    var server: GatewayServer!
    var port = 0

    override func setUpWithError() throws {
        var logger = Logger(label: "chat")
        logger.logLevel = .critical
        server = try GatewayServer(configuration: GatewayConfiguration(target: ExamplesTests.examples,
                                                                       bind: BindAddress(host: "127.0.0.1", port: 0),
                                                                       workers: 2, reload: .off),
                                   logger: logger)
        port = try server.start().port
    }

    override func tearDownWithError() throws {
        try server.shutdown()
    }

    /// Joins the room as `name` and reads until its own "joined" line: what follows is live.
    func join(_ name: String) throws -> WebSocketClient {
        let client = try WebSocketClient(port: port)
        try client.open("/chat?name=\(name)")
        try expectLine("\(name) joined", on: client)
        return client
    }

    /// Reads text frames from `client` until `line` (the room's history and others' lines may come first).
    func expectLine(_ line: String, on client: WebSocketClient) throws {
        while true {
            let frame = try client.receiveFrame()
            XCTAssertEqual(frame.opcode, WebSocketClient.text, frame.text)
            if frame.text == line { return }
        }
    }

    /// Two raw clients, one on each worker (NIO hands connections to the workers in turn): a
    /// line one sends reaches the other and comes back to itself; leaving is announced.
    func testALineReachesAConnectionOnTheOtherWorker() throws {
        let ada = try join("ada")
        let bob = try join("bob")
        let perWorker = server.workers!.collect { $0.webSockets.count }
        XCTAssertEqual(perWorker, [1, 1], "one WebSocket on each worker")
        try expectLine("bob joined", on: ada)
        try bob.sendText("hello, ada")
        try expectLine("bob: hello, ada", on: ada)
        try expectLine("bob: hello, ada", on: bob)
        try ada.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1000))
        XCTAssertEqual(try ada.receiveClose().closeCode, 1000)
        try expectLine("ada left", on: bob)
        XCTAssertEqual(try RawClient(port: port).request("GET /chat HTTP/1.1\r\nHost: t\r\n\r\n").code, 400,
                       "a plain GET is no WebSocket")
    }

    /// Two browser tabs on /chat.html: what one types and sends shows in the other.
    func testTwoBrowserPagesChat() throws {
        let browser = try DevToolsBrowser()
        defer { browser.close() }
        let lines = "document.getElementById('lines').innerText"
        let eve = try browser.open("http://127.0.0.1:\(port)/chat.html?name=eve")
        waitUntil("eve in the room") { (try? browser.evaluate(lines, in: eve))?.contains("eve joined") == true }
        let dan = try browser.open("http://127.0.0.1:\(port)/chat.html?name=dan")
        waitUntil("eve sees dan join") { (try? browser.evaluate(lines, in: eve))?.contains("dan joined") == true }
        let status = "document.getElementById('status').textContent"
        waitUntil("dan's page open") { (try? browser.evaluate(status, in: dan)) == "in the room as dan" }
        XCTAssertEqual(try browser.evaluate("document.getElementById('text').value = 'hi from dan';"
                                            + "document.getElementById('say').requestSubmit(); 'sent'", in: dan), "sent")
        waitUntil("eve sees dan's line") { (try? browser.evaluate(lines, in: eve))?.contains("dan: hi from dan") == true }
        XCTAssertEqual(try browser.evaluate(status, in: eve), "in the room as eve")
        try browser.screenshot(eve, as: "chat-eve")
        try browser.screenshot(dan, as: "chat-dan")
    }
}
