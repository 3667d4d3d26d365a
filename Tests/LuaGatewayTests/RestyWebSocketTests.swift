import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 12's OpenResty layer: `resty.websocket.server` running lua-resty-websocket's documented
/// example unchanged against the raw RFC 6455 client, and `resty.websocket.client` talking to
/// luagw's own WebSocket server over ws:// and wss://.
final class RestyWebSocketTests: XCTestCase {
    /// lua-resty-websocket's README synopsis as printed: an OpenResty content handler, served by
    /// `require("luagw.ngx").app` (readme.lua) from `_ws/readme.lua`, as nginx serves it with
    /// content_by_lua_file.
    static let readmeHandler = #"""
        local server = require "resty.websocket.server"

        local wb, err = server:new{
            timeout = 5000,  -- in milliseconds
            max_payload_len = 65535,
        }
        if not wb then
            ngx.log(ngx.ERR, "failed to new websocket: ", err)
            return ngx.exit(444)
        end

        local data, typ, err = wb:recv_frame()

        if not data then
            if not string.find(err, "timeout", 1, true) then
                ngx.log(ngx.ERR, "failed to receive a frame: ", err)
                return ngx.exit(444)
            end
        end

        if typ == "close" then
            -- for typ "close", err contains the status code
            local code = err

            -- send a close frame back:

            local bytes, err = wb:send_close(1000, "enough, enough!")
            if not bytes then
                ngx.log(ngx.ERR, "failed to send the close frame: ", err)
                return
            end
            ngx.log(ngx.INFO, "closing with status code ", code, " and message ", data)
            return
        end

        if typ == "ping" then
            -- send a pong frame back:

            local bytes, err = wb:send_pong(data)
            if not bytes then
                ngx.log(ngx.ERR, "failed to send frame: ", err)
                return
            end
        elseif typ == "pong" then
            -- just discard the incoming pong frame

        else
            ngx.log(ngx.INFO, "received a frame of type ", typ, " and payload ", data)
        end

        wb:set_timeout(1000)  -- change the network timeout to 1 second

        bytes, err = wb:send_text("Hello world")
        if not bytes then
            ngx.log(ngx.ERR, "failed to send a text frame: ", err)
            return ngx.exit(444)
        end

        bytes, err = wb:send_binary("blah blah blah...")
        if not bytes then
            ngx.log(ngx.ERR, "failed to send a binary frame: ", err)
            return ngx.exit(444)
        end

        local bytes, err = wb:send_close(1000, "enough, enough!")
        if not bytes then
            ngx.log(ngx.ERR, "failed to send the close frame: ", err)
            return
        end
        """#

    static let readme = #"return require('luagw.ngx').app('_ws/readme.lua')"#

    /// `wait.lua`: a WebSocket under Debian's module name whose first recv_frame times out; it
    /// reports what recv_frame returned, then echoes one message with its type; a plain GET gets
    /// server:new's error.
    static let waiting = #"""
        require "luagw.ngx"
        return function(environ, start_response)
          local server = require "nginx.websocket.server"
          assert(server == require "resty.websocket.server")
          local wb, err = server:new{ timeout = 100 }
          if not wb then
            start_response(400, {})
            return { err }
          end
          local data, typ, err = wb:recv_frame()
          wb:send_text(table.concat({ tostring(data), tostring(typ), err, tostring(wb.fatal) }, " "))
          wb:set_timeout(10000)
          data, typ, err = wb:recv_frame()
          wb:send_text(typ .. " " .. data)
          data, typ, err = wb:recv_frame()
          wb:send_text(table.concat({ tostring(data), tostring(typ), tostring(err) }, " "))
        end
        """#

    /// `echo.lua`: luagw's own WebSocket (protocol "chat"), echoing; it answers "origin?" with
    /// the handshake's Origin.
    static let echo = #"""
        local websocket = require "luagw.websocket"
        return function(environ, start_response)
          local ws = assert(websocket.accept(environ, { protocols = { "chat" }, max_payload = 200000 }))
          while true do
            local data, kind = ws:recv()
            if not data or kind == "close" then return end
            if data == "origin?" then data = tostring(environ.HTTP_ORIGIN) end
            if kind == "text" then ws:send_text(data) elseif kind == "binary" then ws:send_binary(data) end
          end
        end
        """#

    /// `client.lua?URI`: resty.websocket.client through one WebSocket; what it saw, one line a step.
    static let client = #"""
        require "luagw.ngx"
        local client = require "resty.websocket.client"
        return function(environ, start_response)
          local out = {}
          local function note(...) out[#out + 1] = table.concat({ ... }, " ") end
          local wb = assert(client:new{ timeout = 10000, max_payload_len = 200000 })
          local ok, err, header = wb:connect(environ.QUERY_STRING,
            { protocols = { "chat" }, origin = "http://origin.example", ssl_verify = true, server_name = "localhost" })
          if not ok then start_response(200, {}); return { "connect failed: " .. err } end
          note("status", header:match("^HTTP/1.1 (%d+)"), header:match("Sec%-WebSocket%-Protocol: (%w+)"))
          wb:send_text("hello")
          note(wb:recv_frame())
          wb:send_text("origin?")
          note(wb:recv_frame())
          local big = string.rep("0123456789abcdefg", 4000)
          wb:send_binary(big)
          local data, typ = wb:recv_frame()
          note(typ, tostring(data == big), #data)
          note(wb:send_ping("p"))
          note(wb:recv_frame())
          note(wb:send_close(1000, "done"))
          local reason, kind, code = wb:recv_frame()
          note(kind, code)
          note(tostring(wb:send_text("late")), select(2, wb:send_text("late")))
          note(wb:close())
          start_response(200, { { "Content-Type", "text/plain" } })
          return { table.concat(out, "\n") }
        end
        """#

    /// `readme-client.lua?URI`: the README's server from the other side, through resty.websocket.client.
    static let readmeClient = #"""
        require "luagw.ngx"
        local client = require "resty.websocket.client"
        return function(environ, start_response)
          local wb = client:new()
          assert(wb:connect(environ.QUERY_STRING))
          assert(wb:send_text("hi"))
          local out = {}
          repeat
            local data, typ, err = wb:recv_frame()
            out[#out + 1] = table.concat({ tostring(data), tostring(typ), err }, " ")
          until typ ~= "text" and typ ~= "binary"
          wb:close()
          start_response(200, {})
          return { table.concat(out, "|") }
        end
        """#

    static let scripts = ["readme.lua": readme, "_ws/readme.lua": readmeHandler, "readme-client.lua": readmeClient, "wait.lua": waiting, "echo.lua": echo, "client.lua": client]

    func testTheReadmeExampleRunsUnchanged() throws {
        let server = try TestServer(Self.scripts)
        let frames = try readmeFrames(port: server.port)
        XCTAssertEqual(frames.map(\.opcode), [WebSocketClient.text, WebSocketClient.binary, WebSocketClient.close])
        XCTAssertEqual(frames.map(\.text).prefix(2), ["Hello world", "blah blah blah..."])
        XCTAssertEqual(frames.last?.closeCode, 1000)
        XCTAssertEqual(Array(frames.last?.payload.dropFirst(2) ?? []), Array("enough, enough!".utf8))
        waitUntil("the WebSocket ended") { server.runningRequests == 0 }
    }

    /// The README's failure paths end with `ngx.exit(444)`: the connection closes without a response.
    func testTheReadmeExampleClosesWith444WhenItFails() throws {
        let log = LogCapture()
        let server = try TestServer(Self.scripts, logger: log.logger)
        let plain = try server.client()
        try plain.send("GET /readme HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try plain.readToEnd(), [], "server:new failed: no response at all")
        waitUntil("the failure logged") { log.contains("failed to new websocket: bad \"upgrade\" request header") }
        let client = try WebSocketClient(port: server.port)
        try client.open("/readme")
        client.raw.shutdownWrite()  // gone before its first frame: recv_frame fails, not by a timeout
        XCTAssertEqual(try client.raw.readToEnd(), [], "closed without a close frame")
        waitUntil("the failure logged") { log.contains("failed to receive a frame: failed to receive the first 2 bytes") }
        waitUntil("the WebSocket ended") { server.runningRequests == 0 }
        XCTAssertEqual(try server.get("/wait").text, #"bad "upgrade" request header: nil"#, "the server goes on")
    }

    func testTheReadmeExampleAnswersAPingAndAClose() throws {
        let server = try TestServer(Self.scripts)
        let pinged = try readmeFrames(port: server.port, first: (WebSocketClient.ping, Array("p".utf8)))
        XCTAssertEqual(pinged.map(\.opcode), [WebSocketClient.pong, WebSocketClient.pong, WebSocketClient.text,
                                               WebSocketClient.binary, WebSocketClient.close],
                       "the server's pong, then send_pong's, then the rest of the example")
        XCTAssertEqual(pinged.map(\.text).prefix(3), ["p", "p", "Hello world"])
        let closed = try readmeFrames(port: server.port, first: (WebSocketClient.close, WebSocketClient.closePayload(4001, "bye")))
        XCTAssertEqual(closed.map(\.opcode), [WebSocketClient.close])
        XCTAssertEqual(closed.first?.closeCode, 4001, "the server answered the close; send_close added nothing")
        waitUntil("both WebSockets ended") { server.runningRequests == 0 }
    }

    func testRecvFrameTimesOutAndGoesOnThenReportsAClose() throws {
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/wait").text, #"bad "upgrade" request header: nil"#)
        let client = try WebSocketClient(port: server.port)
        try client.open("/wait")
        XCTAssertEqual(try client.receiveFrame().text, "nil nil failed to receive the first 2 bytes: timeout nil")
        try client.send(opcode: WebSocketClient.binary, Array("bin".utf8))
        XCTAssertEqual(try client.receiveFrame().text, "binary bin")
        try client.send(opcode: WebSocketClient.close, [])
        XCTAssertEqual(try client.receiveFrame().opcode, WebSocketClient.close)
        waitUntil("the WebSocket ended") { server.runningRequests == 0 }
    }

    /// The frames a client sees from the README example at `port` after sending it `first` (a
    /// text unless told), until the close (which it then answers).
    func readmeFrames(port: Int, first: (opcode: UInt8, payload: [UInt8]) = (WebSocketClient.text, Array("hi".utf8)))
        throws -> [WebSocketClient.Frame] {
        let client = try WebSocketClient(port: port)
        try client.open("/readme")
        try client.send(opcode: first.opcode, first.payload)
        var frames: [WebSocketClient.Frame] = []
        repeat {
            frames.append(try client.receiveFrame())
        } while frames.last?.opcode != WebSocketClient.close
        if first.opcode != WebSocketClient.close {
            try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1000))
        }
        return frames
    }

    /// The same example in nginx with Debian's lua-nginx-websocket (its modules are named
    /// `nginx.websocket.*`: the example's `resty.websocket.server` is made to name it): luagw's
    /// sends the same frames, and luagw's client reads nginx's.
    func testTheReadmeExampleSendsWhatNginxSends() throws {
        guard let peer = ProcessInfo.processInfo.environment["LUAGW_PEER_LUA"],
              FileManager.default.fileExists(atPath: peer + "/nginx/websocket/server.lua") else {
            throw XCTSkip("lua-nginx-websocket is not unpacked: run scripts/test")
        }
        let scratch = try ScratchDirectory("luagw-resty-websocket")
        defer { scratch.remove() }
        let body = Self.readmeHandler
        let nginx = try NginxLua(locations: """
            location /readme { content_by_lua_block {
                package.path = "\(peer)/?.lua;" .. package.path
                package.loaded["resty.websocket.server"] = require "nginx.websocket.server"
            \(body)
            } }
            """, in: scratch)
        let server = try TestServer(Self.scripts)
        XCTAssertEqual(try server.get("/readme-client?ws://127.0.0.1:\(nginx.port)/readme").text,
                       "Hello world text|blah blah blah... binary|enough, enough! close 1000",
                       "the client against nginx's server")
        func described(_ frames: [WebSocketClient.Frame]) -> [String] {
            frames.map { "\($0.fin) \($0.opcode) \($0.masked) \($0.payload)" }
        }
        let expected = described(try readmeFrames(port: nginx.port))
        XCTAssertEqual(expected.count, 3, "\(expected)")
        XCTAssertEqual(described(try readmeFrames(port: server.port)), expected)
    }

    /// The lines client.lua reports after a good session with echo.lua.
    static let clientSession = [
        "status 101 chat", "hello text", "http://origin.example text", "binary true 68000",
        "7", "p pong", "12", "close 1000", "nil already closed", "1",
    ]

    func testTheClientTalksToLuagwsServer() throws {
        let server = try TestServer(Self.scripts)
        let lines = try server.get("/client?ws://127.0.0.1:\(server.port)/echo").text
        XCTAssertEqual(lines.split(separator: "\n").map(String.init), Self.clientSession)
        XCTAssertEqual(try server.get("/client?http://127.0.0.1:\(server.port)/echo").text,
                       "connect failed: bad websocket uri")
        XCTAssertEqual(try server.get("/client?ws://127.0.0.1:\(server.port)/client").text.prefix(45),
                       "connect failed: bad HTTP response status line")
    }

    func testTheClientSpeaksWSS() throws {
        let certificates = try TestCertificates()
        let files = try certificates.issue("ws")
        let secure = try TestServer(Self.scripts) { $0.tls = files }
        let server = try TestServer(Self.scripts) { $0.caFiles = [certificates.authority] }
        let lines = try server.get("/client?wss://localhost:\(secure.port)/echo").text
        XCTAssertEqual(lines.split(separator: "\n").map(String.init), Self.clientSession)
    }
}
