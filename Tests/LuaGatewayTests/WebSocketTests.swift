import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import LuaGateway

/// SPEC 12's `luagw.websocket` over real sockets with a raw RFC 6455 client: the handshake (good
/// and bad), messages both ways, the protocol's rules and their close codes, the close
/// handshake, backpressure both ways, and what a WebSocket leaves behind (nothing).
final class WebSocketTests: XCTestCase {
    /// A dictionary of `luagw.shared` of this test's own (the dictionaries outlive a server).
    let dictionary = "ws_" + UUID().uuidString.prefix(8).lowercased()

    /// `ws.lua`: accepts (protocols chat then superchat, at most 1000 bytes a message) and
    /// echoes, saying what else it sees; `?error`, `?return`, `?close`, `?hold`, `?flood` do
    /// what they say. Every end of its recv is noted in the dictionary, read by `/note?key`.
    var scripts: [String: String] {
        [
            "ws.lua": #"""
            local luagw = require "luagw"
            local websocket = require "luagw.websocket"
            local note = luagw.shared["\#(dictionary)"]
            return function(environ, start_response)
              local query = environ.QUERY_STRING or ""
              local ws, err = websocket.accept(environ, { protocols = { "chat", "superchat" }, max_payload = 1000 })
              if not ws then
                start_response("400 Bad Request", { { "Content-Type", "text/plain" } })
                return { err }
              end
              if query == "error" then error("deliberate, after accept") end
              if query == "return" then return end
              if query == "close" then
                note:set("close-sent", ws:close(4000, "bye"))
                local reason, kind, code = ws:recv()
                note:set("after-close", tostring(kind) .. " " .. tostring(code) .. " " .. tostring(reason))
                note:set("then", select(2, ws:recv()))
                return
              end
              if query == "hold" then
                while not note:get("go") do luagw.sleep(0.02) end
                local count, bytes = 0, 0
                while true do
                  local data, kind = ws:recv()
                  if not data or kind == "close" then break end
                  count, bytes = count + 1, bytes + #data
                  note:set("held", count .. " " .. bytes)
                end
                return
              end
              if query == "flood" then
                ws:settimeout(1000)
                local chunk, sent = string.rep("x", 65536), 0
                for _ = 1, 400 do
                  local bytes, err = ws:send_binary(chunk)
                  if not bytes then note:set("flood", sent .. " " .. err) return end
                  sent = sent + 1
                end
                note:set("flood", sent .. " all")
                return
              end
              while true do
                local data, kind, code = ws:recv()
                if not data then note:set("error", kind) return end
                if kind == "text" then
                  if data == "protocol?" then ws:send_text(tostring(ws.protocol)) else ws:send_text(data) end
                elseif kind == "binary" then ws:send_binary(data)
                elseif kind == "ping" then ws:send_text("saw ping " .. data)
                elseif kind == "close" then note:set("close", code .. " " .. data)
                end
              end
            end
            """#,
            "note.lua": #"""
            local note = require("luagw").shared["\#(dictionary)"]
            return function(environ, start_response)
              start_response(200, {})
              local key = environ.QUERY_STRING
              if key == "go" then note:set("go", true) return { "go" } end
              return { tostring(note:get(key)) }
            end
            """#,
        ]
    }

    func note(_ server: TestServer, _ key: String) throws -> String {
        try server.get("/note?\(key)").text
    }

    /// Waits until note `key` is set, and returns it.
    func waitForNote(_ server: TestServer, _ key: String) throws -> String {
        var value = "nil"
        try waitUntil("note \(key)") {
            value = try note(server, key)
            return value != "nil"
        }
        return value
    }

    /// Open WebSockets over every worker.
    func openWebSockets(_ server: TestServer) -> Int {
        server.server.workers!.collect { $0.webSockets.count }.reduce(0, +)
    }

    /// Waits until nothing is left of any WebSocket: connections, requests, sessions.
    func waitUntilNothingIsLeft(_ server: TestServer) {
        waitUntil("every connection closed") { server.openConnections == 0 }
        waitUntil("every request ended") { server.runningRequests == 0 }
        XCTAssertEqual(openWebSockets(server), 0)
    }

    // MARK: the handshake

    func testHandshakeAnswers101WithTheAcceptValue() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        let response = try client.handshake(WebSocketClient.request(
            path: "/ws", headers: "Sec-WebSocket-Protocol: superchat, chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"))
        XCTAssertEqual(response.code, 101, response.statusLine)
        XCTAssertEqual(response.header("Sec-WebSocket-Accept"), WebSocketClient.accept)
        XCTAssertEqual(response.header("Upgrade")?.lowercased(), "websocket")
        XCTAssertEqual(response.header("Connection")?.lowercased(), "upgrade")
        XCTAssertEqual(response.header("Sec-WebSocket-Protocol"), "chat", "the server's first choice the client offers")
        XCTAssertNil(response.header("Sec-WebSocket-Extensions"), "no extension is ever agreed")
        XCTAssertNotNil(response.header("Date"))
        XCTAssertNotNil(response.header("Server"))
        try client.sendText("protocol?")
        XCTAssertEqual(try client.receiveFrame().text, "chat")
    }

    func testNoSubprotocolInCommonSendsNone() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        let response = try client.open("/ws", headers: "Sec-WebSocket-Protocol: other\r\n")
        XCTAssertNil(response.header("Sec-WebSocket-Protocol"))
        try client.sendText("protocol?")
        XCTAssertEqual(try client.receiveFrame().text, "nil")
    }

    func testBadHandshakesAreTheApplicationsToAnswer() throws {
        let server = try TestServer(scripts)
        let cases: [(String, String)] = [
            (WebSocketClient.request(path: "/ws", version: "12"), #"bad "sec-websocket-version" request header"#),
            (WebSocketClient.request(path: "/ws", key: "c2hvcnQ="), #"bad "sec-websocket-key" request header"#),
            (WebSocketClient.request(path: "/ws", headers: "Sec-WebSocket-Key: \(WebSocketClient.key)\r\n"),
             #"bad "sec-websocket-key" request header"#),
            (WebSocketClient.request(path: "/ws", method: "POST"), "bad method"),
            (WebSocketClient.request(path: "/ws", httpVersion: "1.0"), "bad http version"),
            ("GET /ws HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(WebSocketClient.key)\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n", #"bad "upgrade" request header: nil"#),
            ("GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nSec-WebSocket-Key: \(WebSocketClient.key)\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n", #"bad "connection" request header"#),
        ]
        for (request, error) in cases {
            let client = try WebSocketClient(port: server.port)
            try client.raw.send(request)
            let response = try client.raw.readResponse()
            XCTAssertEqual(response.code, 400, request)
            XCTAssertEqual(response.text, error, request)
        }
        // A refused attempt closes its connection (the decoder waited for frames).
        let client = try WebSocketClient(port: server.port)
        try client.raw.send(WebSocketClient.request(path: "/ws", version: "12"))
        let response = try client.raw.readResponse()
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(try client.raw.isClosedByServer())
        // Upgrade: h2c on a plain GET keeps the connection alive.
        let plain = try server.client()
        XCTAssertEqual(try plain.request("GET /note?x HTTP/1.1\r\nHost: test\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n").code, 200)
        XCTAssertEqual(try plain.request("GET /note?x HTTP/1.1\r\nHost: test\r\n\r\n").code, 200)
    }

    /// The body `script` answers a handshake with.
    func answer(of script: String) throws -> String {
        let server = try TestServer(["script.lua": script])
        let client = try WebSocketClient(port: server.port)
        try client.raw.send(WebSocketClient.request(path: "/script"))
        return try client.raw.readResponse().text
    }

    func testAcceptAfterTheResponseStartedIsRefused() throws {
        XCTAssertEqual(try answer(of: #"""
            return function(environ, start_response)
              local write = start_response("200 OK", {})
              write("started ")
              local ws, err = require("luagw.websocket").accept(environ)
              return { tostring(ws) .. " " .. err }
            end
            """#), "started nil response header already sent")
    }

    func testAcceptFromALightThreadIsRefused() throws {
        XCTAssertEqual(try answer(of: #"""
            local luagw = require "luagw"
            return function(environ, start_response)
              local thread = luagw.thread.spawn(function() return require("luagw.websocket").accept(environ) end)
              local _, ws, err = luagw.thread.wait(thread)
              start_response("200 OK", {})
              return { tostring(ws) .. " " .. err }
            end
            """#), "nil luagw.websocket.accept: only the request itself can accept")
    }

    func testFramesSentWithTheHandshakeAreReadInOrder() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        let early = WebSocketClient.frame(opcode: WebSocketClient.text, payload: Array("early".utf8))
            + WebSocketClient.frame(opcode: WebSocketClient.text, payload: Array("second".utf8))
        XCTAssertEqual(try client.handshake(WebSocketClient.request(path: "/ws"), early: early).code, 101)
        XCTAssertEqual(try client.receiveFrame().text, "early")
        XCTAssertEqual(try client.receiveFrame().text, "second")
    }

    // MARK: messages

    func testEchoOfTextAndBinary() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws")
        try client.sendText("héllo")
        let text = try client.receiveFrame()
        XCTAssertEqual(text.opcode, WebSocketClient.text)
        XCTAssertEqual(text.text, "héllo")
        XCTAssertFalse(text.masked, "a server's frames are not masked")
        let bytes = (0..<300).map { UInt8($0 % 256) }
        try client.send(opcode: WebSocketClient.binary, bytes)
        let binary = try client.receiveFrame()
        XCTAssertEqual(binary.opcode, WebSocketClient.binary)
        XCTAssertEqual(binary.payload, bytes)
        try client.send(opcode: WebSocketClient.text, [])
        XCTAssertEqual(try client.receiveFrame().payload, [], "an empty message")
    }

    func testFragmentedMessageWithAPingBetween() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws")
        try client.send(opcode: WebSocketClient.text, Array("frag".utf8), fin: false)
        try client.send(opcode: WebSocketClient.continuation, [], fin: false)
        try client.send(opcode: WebSocketClient.ping, Array("p1".utf8))
        let pong = try client.receiveFrame()
        XCTAssertEqual(pong.opcode, WebSocketClient.pong, "the ping is answered before the message is complete")
        XCTAssertEqual(pong.text, "p1")
        XCTAssertEqual(try client.receiveFrame().text, "saw ping p1", "and shown to the application")
        try client.send(opcode: WebSocketClient.continuation, Array("mented".utf8), fin: true)
        XCTAssertEqual(try client.receiveFrame().text, "fragmented")
    }

    func testAMessageOfExactlyMaxPayloadInFragmentsArrives() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws")
        try client.send(opcode: WebSocketClient.binary, [UInt8](repeating: 1, count: 600), fin: false)
        try client.send(opcode: WebSocketClient.continuation, [UInt8](repeating: 2, count: 400), fin: true)
        XCTAssertEqual(try client.receiveFrame().payload.count, 1000)
    }

    // MARK: the protocol's rules

    /// Sends `frames` after a handshake; expects a close with `code`, the connection closed after
    /// it, and the application's recv ended with `error`.
    func expectFailure(_ frames: [[UInt8]], code: UInt16, error: String?, file: StaticString = #filePath, line: UInt = #line) throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws")
        for frame in frames { try client.raw.send(frame) }
        let close = try client.receiveClose()
        XCTAssertEqual(close.closeCode, code, file: file, line: line)
        XCTAssertTrue(try client.raw.isClosedByServer(), "the server shuts its side after its close", file: file, line: line)
        if let error { XCTAssertEqual(try waitForNote(server, "error"), error, file: file, line: line) }
        client.raw.shutdownWrite()  // the client's side of the close: the server then closes the connection
        waitUntilNothingIsLeft(server)
    }

    /// A frame far past `max_payload`: the server stops at its header, answers 1009 and shuts its
    /// side, and reads what the client still sends until the client closes. Closing at once, with
    /// the frame's bytes unread, would reset the connection, and a reset can make the client lose
    /// the close frame.
    func testOversizeFrameLingersInsteadOfResetting() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws")
        try client.raw.send(WebSocketClient.frame(opcode: WebSocketClient.binary, payload: [UInt8](repeating: 7, count: 256 * 1024)))
        XCTAssertEqual(try client.receiveClose().closeCode, 1009)
        XCTAssertTrue(try client.raw.isClosedByServer(), "a FIN after the close frame, not a reset (which throws)")
        XCTAssertEqual(server.openConnections, 1, "the server waits for the client's side")
        client.raw.shutdownWrite()
        waitUntilNothingIsLeft(server)
    }

    func testUnmaskedClientFrameIs1002() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.text, payload: Array("x".utf8), masked: false)],
                          code: 1002, error: "protocol error: a frame from the client is not masked")
    }

    func testReservedBitIs1002() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.text, payload: Array("x".utf8), rsv: 4)],
                          code: 1002, error: "protocol error: a reserved bit is set")
    }

    func testReservedOpcodesAre1002() throws {
        try expectFailure([WebSocketClient.frame(opcode: 3, payload: [])], code: 1002, error: "protocol error: a reserved opcode")
        try expectFailure([WebSocketClient.frame(opcode: 0xB, payload: [])], code: 1002, error: "protocol error: a reserved opcode")
    }

    func testStrayContinuationIs1002() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.continuation, payload: Array("x".utf8))],
                          code: 1002, error: "protocol error: a continuation frame without a message")
    }

    func testNewMessageInsideAFragmentedOneIs1002() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.text, payload: Array("a".utf8), fin: false),
                           WebSocketClient.frame(opcode: WebSocketClient.text, payload: Array("b".utf8))],
                          code: 1002, error: "protocol error: a new message inside a fragmented one")
    }

    func testInvalidUTF8SplitAcrossFragmentsIs1007() throws {
        // A surrogate (ED A0 80), its bytes in two fragments.
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.text, payload: [0x61, 0xED], fin: false),
                           WebSocketClient.frame(opcode: WebSocketClient.continuation, payload: [0xA0, 0x80])],
                          code: 1007, error: "invalid UTF-8")
    }

    func testOversizeFrameIs1009() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.binary, payload: [UInt8](repeating: 0, count: 1001))],
                          code: 1009, error: "message too large")
    }

    func testOversizeFragmentedMessageIs1009() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.binary, payload: [UInt8](repeating: 0, count: 600), fin: false),
                           WebSocketClient.frame(opcode: WebSocketClient.continuation, payload: [UInt8](repeating: 0, count: 401))],
                          code: 1009, error: "message too large")
    }

    func testLongPingIs1002() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.ping, payload: [UInt8](repeating: 0, count: 126))],
                          code: 1002, error: "protocol error: a control frame longer than 125 bytes")
    }

    func testCloseCodes1005OnTheWireAndOneByteAre1002() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.close, payload: WebSocketClient.closePayload(1005))],
                          code: 1002, error: "protocol error: close code 1005")
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.close, payload: [3])],
                          code: 1002, error: "protocol error: a close frame of one byte")
    }

    func testCloseReasonNotUTF8Is1007() throws {
        try expectFailure([WebSocketClient.frame(opcode: WebSocketClient.close, payload: WebSocketClient.closePayload(1000) + [0xC0, 0x80])],
                          code: 1007, error: "invalid UTF-8")
    }

    // MARK: the close handshake

    func testClientCloseIsEchoedWithItsCode() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws")
        try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(4001, "done"))
        let close = try client.receiveFrame()
        XCTAssertEqual(close.opcode, WebSocketClient.close)
        XCTAssertEqual(close.closeCode, 4001, "the same code back")
        XCTAssertTrue(try client.raw.isClosedByServer())
        XCTAssertEqual(try waitForNote(server, "close"), "4001 done")
        XCTAssertEqual(try waitForNote(server, "error"), "closed", "then recv says closed")
        waitUntilNothingIsLeft(server)
    }

    func testCloseWithoutACodeIsAnsweredEmptyAndShownAs1005() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws")
        try client.send(opcode: WebSocketClient.close, [])
        let close = try client.receiveFrame()
        XCTAssertEqual(close.opcode, WebSocketClient.close)
        XCTAssertEqual(close.payload, [], "1005 is never sent")
        XCTAssertEqual(try waitForNote(server, "close"), "1005 ")
    }

    func testApplicationReturnCloses1000() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws?return")
        XCTAssertEqual(try client.receiveClose().closeCode, 1000)
        try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1000))
        XCTAssertTrue(try client.raw.isClosedByServer())
        waitUntilNothingIsLeft(server)
    }

    func testLuaErrorAfterAcceptCloses1011() throws {
        let log = LogCapture()
        let server = try TestServer(scripts, logger: log.logger)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws?error")
        let close = try client.receiveClose()
        XCTAssertEqual(close.closeCode, 1011)
        XCTAssertEqual(close.payload.count, 2, "the error is the log's, not the client's")
        XCTAssertTrue(log.messages.contains { $0.contains("deliberate, after accept") }, log.messages.joined(separator: "\n"))
    }

    func testApplicationClosesWithItsCode() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws?close")
        let close = try client.receiveClose()
        XCTAssertEqual(close.closeCode, 4000)
        XCTAssertEqual(String(decoding: close.payload.dropFirst(2), as: UTF8.self), "bye")
        XCTAssertEqual(try waitForNote(server, "close-sent"), "7", "the close frame's bytes")
        try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(4000))
        XCTAssertTrue(try client.raw.isClosedByServer(), "the server closes once the client answered")
        XCTAssertEqual(try waitForNote(server, "after-close"), "close 4000 ")
        XCTAssertEqual(try waitForNote(server, "then"), "closed")
    }

    // MARK: what is left

    func testAClientThatVanishesLeavesNothing() throws {
        let server = try TestServer(scripts)
        for _ in 0..<5 {
            let client = try WebSocketClient(port: server.port)
            try client.open("/ws")
            try client.sendText("here")
            XCTAssertEqual(try client.receiveFrame().text, "here")
            client.raw.resetOnClose()
        }
        waitUntilNothingIsLeft(server)
        XCTAssertEqual(try waitForNote(server, "error"), "closed")
    }

    // MARK: backpressure

    func testAnApplicationThatDoesNotReceiveStopsTheReads() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws?hold")
        // 1000-byte messages, sent without blocking until the client cannot send more: the server
        // stops reading long before 64 MiB (its inbox holds about 64 KiB; the kernels' buffers the rest).
        let frame = WebSocketClient.frame(opcode: WebSocketClient.binary, payload: [UInt8](repeating: 7, count: 1000))
        var sent = 0, offset = 0
        let fd = client.raw.fd
        sending: while sent < 65536 {
            let n = frame[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if n > 0 {
                offset += n
                if offset == frame.count { sent += 1; offset = 0 }
                continue
            }
            XCTAssertTrue(errno == EAGAIN || errno == EWOULDBLOCK, "send: \(errno)")
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, 2000) == 0 { break sending }  // held: nothing taken for 2 s
        }
        XCTAssertLessThan(sent, 65536, "the server stopped reading")
        // The application takes them now: everything arrives, in full.
        XCTAssertEqual(try server.get("/note?go").text, "go")
        if offset > 0 { try client.raw.send(Array(frame[offset...])); sent += 1 }
        try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1000))
        XCTAssertEqual(try waitForNote(server, "held").isEmpty, false)
        waitUntil("every message taken") { (try? self.note(server, "held")) == "\(sent) \(sent * 1000)" }
    }

    func testASlowClientSuspendsSendThenTimesOut() throws {
        let server = try TestServer(scripts)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws?flood")
        // The client reads nothing: the application's sends wait, then time out (1 s) and the connection closes.
        let flood = try waitForNote(server, "flood")
        let parts = flood.split(separator: " ")
        XCTAssertEqual(parts.last, "timeout", flood)
        XCTAssertLessThan(Int(parts.first ?? "") ?? 400, 400, "not every 64 KiB message went out")
        waitUntilNothingIsLeft(server)
    }

    // MARK: bookkeeping

    func testOneAccessLogLineWhenTheWebSocketEnds() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        let server = try TestServer(scripts, accessLog: fds[1])
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws", headers: "X-Request-Id: ws-1\r\n")
        try client.sendText("hello")
        XCTAssertEqual(try client.receiveFrame().text, "hello")
        try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1000))
        XCTAssertEqual(try client.receiveFrame().closeCode, 1000)
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        XCTAssertNotEqual(fcntl(fds[0], F_SETFL, O_NONBLOCK), -1)
        waitUntil("the access-log line") {
            let n = read(fds[0], &buffer, buffer.count)
            if n > 0 { text += String(decoding: buffer[0..<n], as: UTF8.self) }
            return text.contains("\n")
        }
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, text)
        // 7 bytes of echo ("hello" and its header), 4 of close: the frames after the 101.
        let pattern = #""GET /ws HTTP/1\.1" 101 11 \d+\.\d{6} ws-1$"#
        XCTAssertNotNil(lines.first?.range(of: pattern, options: .regularExpression), text)
    }

    func testStatusAndMetricsShowOpenWebSockets() throws {
        let server = try TestServer(scripts, admin: true)
        let admin = try XCTUnwrap(server.server.adminAddress).port
        let clients = try (0..<2).map { _ in try WebSocketClient(port: server.port) }
        for client in clients {
            try client.open("/ws")
            try client.sendText("counted")
            XCTAssertEqual(try client.receiveFrame().text, "counted")
        }
        let status = try RawClient(port: admin).request("GET /status.json HTTP/1.1\r\nHost: admin\r\n\r\n").text
        XCTAssertEqual(status.components(separatedBy: #""phase":"websocket""#).count - 1, 2, status)
        XCTAssertTrue(status.contains(#""websockets":2"#), status)
        let page = try RawClient(port: admin).request("GET /status HTTP/1.1\r\nHost: admin\r\n\r\n").text
        XCTAssertTrue(page.contains("<th>WebSockets</th>"), page)
        XCTAssertTrue(page.contains(#"<td class="n">2</td></tr>"#), "the worker's row counts them: \(page)")
        let metrics = try AdminTests.parse(RawClient(port: admin).request("GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n").text)
        XCTAssertEqual(metrics["luagw_websockets{}"], 2)
        XCTAssertEqual(metrics["luagw_connections{state=websocket}"], 2)
        XCTAssertEqual(metrics["luagw_websocket_messages_total{direction=in}"], 2)
        XCTAssertEqual(metrics["luagw_websocket_messages_total{direction=out}"], 2)
    }

    func testShutdownClosesEveryWebSocketWith1001() throws {
        let server = try TestServer(scripts)
        let clients = try (0..<3).map { _ in try WebSocketClient(port: server.port) }
        for client in clients { try client.open("/ws") }
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.server.shutdownGracefully(grace: 30)
            done.signal()
        }
        for client in clients {
            let close = try client.receiveClose()
            XCTAssertEqual(close.closeCode, 1001)
            XCTAssertEqual(String(decoding: close.payload.dropFirst(2), as: UTF8.self), "server shutting down")
            try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1001))
            XCTAssertTrue(try client.raw.isClosedByServer())
        }
        XCTAssertEqual(done.wait(timeout: .now() + 25), .success, "the server stops once they closed, within the grace time")
    }

    func testWebSocketsDoNotCountAgainstRequestsPerState() throws {
        let server = try TestServer(scripts, pool: PoolLimits(initial: 1, maximum: 1, requestsPerState: 2, queue: 16))
        let clients = try (0..<5).map { _ in try WebSocketClient(port: server.port) }
        for client in clients {
            try client.open("/ws")
            try client.sendText("on")
            XCTAssertEqual(try client.receiveFrame().text, "on")
        }
        XCTAssertEqual(try server.get("/note?x").code, 200, "a request still has room")
        XCTAssertEqual(server.runningRequests, 5, "/status counts them on their state")
    }

    /// `--run-time` bounds the Lua time between two messages: each message `recv` returns starts the
    /// budget over, so a WebSocket whose Lua time adds up past it goes on; a runaway still ends (1011).
    func testRunTimeIsBetweenMessages() throws {
        let server = try TestServer(["burn.lua": #"""
            return function(environ, start_response)
              local ws = require("luagw.websocket").accept(environ)
              while true do
                local data, kind = ws:recv()
                if not data or kind == "close" then return end
                local seconds = tonumber(data)
                local start = os.clock()
                while os.clock() - start < seconds do end
                ws:send_text("burned " .. data)
              end
            end
            """#], lua: LuaLimits(runTime: 3))
        let client = try WebSocketClient(port: server.port)
        try client.open("/burn")
        for _ in 0..<8 {  // 4 s of Lua in all, 0.5 s (of processor time) between two messages
            try client.sendText("0.5")
            XCTAssertEqual(try client.receiveFrame().text, "burned 0.5")
        }
        try client.sendText("60")
        XCTAssertEqual(try client.receiveClose().closeCode, 1011, "a runaway is stopped")
    }

    /// A `recv` that times out starts the budget over too: a connection that polls (as the chat
    /// example does) and spends Lua time after each timeout outlives `--run-time`.
    func testRunTimeStartsOverWhenRecvTimesOut() throws {
        let server = try TestServer(["poll.lua": #"""
            return function(environ, start_response)
              local ws = require("luagw.websocket").accept(environ)
              ws:settimeout(20)
              local timeouts = 0
              while true do
                local data, err = ws:recv()
                if err == "timeout" then
                  timeouts = timeouts + 1
                  local start = os.clock()
                  while os.clock() - start < 0.5 do end
                  if timeouts == 8 then ws:send_text("alive after " .. timeouts) end
                elseif not data or err == "close" then
                  return
                end
              end
            end
            """#], lua: LuaLimits(runTime: 3))
        let client = try WebSocketClient(port: server.port, timeout: 60)
        try client.open("/poll")
        // 8 × 0.5 s of Lua, past the 3 s budget, each after a timeout.
        XCTAssertEqual(try client.receiveFrame().text, "alive after 8")
    }

    func testSlowRequestIsSilentAboutWebSockets() throws {
        let log = LogCapture()
        var withNap = scripts
        withNap["nap.lua"] = #"""
            local luagw = require "luagw"
            return function(e, sr)
              while not luagw.shared["\#(dictionary)"]:get("go") do luagw.sleep(0.02) end
              sr(200, {})
              return {}
            end
            """#
        let server = try TestServer(withNap, logger: log.logger, slowRequest: 0.2)
        let client = try WebSocketClient(port: server.port)
        try client.open("/ws")
        // A request made after the WebSocket opened is reported: the WebSocket, older, is not.
        let nap = try server.client()
        try nap.send("GET /nap HTTP/1.1\r\nHost: t\r\n\r\n")
        waitUntil("the request to be reported") { log.contains("GET /nap") }
        XCTAssertEqual(try server.get("/note?go").text, "go")
        XCTAssertEqual(try nap.readResponse().code, 200)
        XCTAssertFalse(log.contains("GET /ws"), log.messages.joined(separator: "\n"))
        try client.sendText("still here")
        XCTAssertEqual(try client.receiveFrame().text, "still here")
    }

    func testMaxConnectionsCountsWebSockets() throws {
        let server = try TestServer(scripts, limits: RequestLimits(maxConnections: 2))
        let clients = try (0..<2).map { _ in try WebSocketClient(port: server.port) }
        for client in clients { try client.open("/ws") }
        let third = try server.client()
        XCTAssertEqual(try third.readResponse().code, 503)
    }

    func testHTTP2IsAnsweredAsAnOrdinaryRequest() throws {
        let server = try TestServer(scripts)
        let result = try H2Client.get(port: server.port, paths: ["/ws"])
        XCTAssertEqual(result.answers["/ws"]?["status"], "400")
        XCTAssertEqual(result.answers["/ws"]?["body"], "bad http version")
    }

    func testAnOpenWebSocketKeepsItsCodeOnReload() throws {
        let source = { (version: String) in #"""
            return function(environ, start_response)
              local ws = require("luagw.websocket").accept(environ)
              while true do
                local data, kind = ws:recv()
                if not data or kind == "close" then return end
                ws:send_text("\#(version) " .. data)
              end
            end
            """# }
        let server = try TestServer(["echo.lua": source("v1")], reload: .watch)
        let old = try WebSocketClient(port: server.port)
        try old.open("/echo")
        try server.write("echo.lua", source("v2"))
        var answer = ""
        try waitUntil("the new code") {
            let fresh = try WebSocketClient(port: server.port)
            try fresh.open("/echo")
            try fresh.sendText("x")
            answer = try fresh.receiveFrame().text
            return answer == "v2 x"
        }
        try old.sendText("x")
        XCTAssertEqual(try old.receiveFrame().text, "v1 x", "the open WebSocket runs the code it was accepted on")
    }

    // MARK: another client

    func testPythonWebsocketsLibrary() throws {
        let server = try TestServer(scripts)
        struct Answers: Decodable {
            let protocol_: String?
            let text: String
            let binary: [UInt8]
            let fragmented: String
            let pinged: Bool
            let close_code: Int
            let too_large: Int
            enum CodingKeys: String, CodingKey {
                case protocol_ = "protocol", text, binary, fragmented, pinged, close_code, too_large
            }
        }
        let answers: Answers = try runPythonJSON(#"""
            import asyncio, json, sys
            from websockets.asyncio.client import connect
            from websockets.exceptions import ConnectionClosed

            async def main(port):
                url = "ws://127.0.0.1:%s/ws" % port
                out = {}
                async with connect(url, subprotocols=["superchat", "chat"]) as ws:  # offers permessage-deflate too
                    out["protocol"] = ws.subprotocol
                    await ws.send("héllo")
                    out["text"] = await ws.recv()
                    await ws.send(bytes(range(200)))
                    out["binary"] = list(await ws.recv())
                    async def parts():
                        for part in ["frag", "men", "ted"]:
                            yield part
                    await ws.send(parts())
                    out["fragmented"] = await ws.recv()
                    pong = await ws.ping(b"are you there")
                    await asyncio.wait_for(pong, 10)
                    out["pinged"] = True
                    assert await ws.recv() == "saw ping are you there"
                    await ws.close(4000, "bye")
                    out["close_code"] = ws.close_code
                async with connect(url) as ws:
                    await ws.send("x" * 1001)
                    try:
                        await ws.recv()
                    except ConnectionClosed as closed:
                        out["too_large"] = closed.rcvd.code
                print(json.dumps(out))

            asyncio.run(main(sys.argv[1]))
            """#, [String(server.port)])
        XCTAssertEqual(answers.protocol_, "chat")
        XCTAssertEqual(answers.text, "héllo")
        XCTAssertEqual(answers.binary, Array(0..<200))
        XCTAssertEqual(answers.fragmented, "fragmented")
        XCTAssertTrue(answers.pinged)
        XCTAssertEqual(answers.close_code, 4000, "the server answers with the same code")
        XCTAssertEqual(answers.too_large, 1009)
        XCTAssertEqual(try waitForNote(server, "close"), "4000 bye")
    }

    /// wss://: the same WebSocket over luagw's TLS listener, to Python's client verifying the
    /// certificate (text, binary, the close handshake).
    func testPythonWebsocketsOverTLS() throws {
        let certificates = try TestCertificates()
        let files = try certificates.issue("localhost")
        let server = try TestServer(scripts) { $0.tls = files }
        struct Answers: Decodable {
            let text: String
            let binary_length: Int
            let binary_intact: Bool
            let close_code: Int
        }
        let answers: Answers = try runPythonJSON(#"""
            import asyncio, json, ssl, sys
            from websockets.asyncio.client import connect

            async def main(port, authority):
                context = ssl.create_default_context(cafile=authority)
                out = {}
                async with connect("wss://localhost:%s/ws" % port, ssl=context, max_size=None) as ws:
                    await ws.send("secret")
                    out["text"] = await ws.recv()
                    payload = bytes(i % 251 for i in range(999))
                    await ws.send(payload)
                    echoed = await ws.recv()
                    out["binary_length"] = len(echoed)
                    out["binary_intact"] = echoed == payload
                    await ws.close(1000, "done")
                    out["close_code"] = ws.close_code
                print(json.dumps(out))

            asyncio.run(main(sys.argv[1], sys.argv[2]))
            """#, [String(server.port), certificates.authority])
        XCTAssertEqual(answers.text, "secret")
        XCTAssertEqual(answers.binary_length, 999)
        XCTAssertTrue(answers.binary_intact)
        XCTAssertEqual(answers.close_code, 1000)
    }
}
