import Foundation
import XCTest

/// The files of docs/deploy run as written (issue 12): luagw started with the systemd unit's
/// `ExecStart` line on the socket luagw.socket describes (the test plays systemd), behind nginx
/// (Debian's nginx-light, its worker as www-data) configured with docs/deploy/nginx.conf, over
/// the Unix socket and over TCP. Only paths and ports are replaced.
final class DocumentedDeploymentTests: XCTestCase {
    static let who = #"return function(e, sr) sr(200, {}); return e.REMOTE_ADDR .. " " .. e["wsgi.url_scheme"] end"#

    func nginx(upstream: String, in scratch: ScratchDirectory) throws -> (process: Process, port: Int) {
        try DocumentedNginx.start(servers: [upstream], in: scratch)
    }

    /// Three requests on one connection through nginx, each answered by luagw with the client's
    /// address as luagw believed it.
    func assertServedThrough(port: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let client = try RawClient(port: port)
        for _ in 0..<3 {
            let response = try client.request("GET /who HTTP/1.1\r\nHost: example.org\r\nX-Forwarded-Proto: https\r\n\r\n")
            XCTAssertEqual(response.code, 200, file: file, line: line)
            XCTAssertEqual(response.text, "127.0.0.1 http", "nginx's X-Forwarded-For believed, its scheme too",
                           file: file, line: line)
        }
    }

    func testTheDocumentedNginxConfigurationOverTheUnixSocket() throws {
        let scratch = try ScratchDirectory("luagw-deploy")
        defer { scratch.remove() }
        try scratch.write("app/who.lua", Self.who)
        let socket = try SystemdSocket(path: scratch.url.appendingPathComponent("luagw.sock").path)
        let luagw = try socket.start(DocumentedUnits.execStart(directory: scratch.url.appendingPathComponent("app").path, socket: socket.path)
                                     + ["--workers", "1", "--access-log", "off"], errorLog: scratch.url.appendingPathComponent("luagw.log").path)
        XCTAssertTrue(luagw.waitForStartUp(), luagw.errors)

        let nginx = try nginx(upstream: "unix:\(socket.path)", in: scratch)
        defer { nginx.process.terminate(); nginx.process.waitUntilExit() }
        try assertServedThrough(port: nginx.port)
        withExtendedLifetime((socket, luagw)) {}  // the socket held, the process running, to the end
    }

    /// A WebSocket through the documented nginx: the handshake reaches luagw, messages flow both
    /// ways, and the close is echoed; plain requests keep their keep-alive connections.
    func testAWebSocketThroughTheDocumentedNginx() throws {
        let scratch = try ScratchDirectory("luagw-deploy")
        defer { scratch.remove() }
        let echo = #"""
            local luagw = require "luagw"
            return function(environ, start_response)
              local ws, err = luagw.websocket.accept(environ)
              if not ws then start_response(400, {}); return err end
              while true do
                local data, kind = ws:recv()
                if not data or kind == "close" then return end
                if kind == "text" then ws:send_text("echo: " .. data) end
              end
            end
            """#
        let luagw = try LuagwProcess(["echo.lua": echo, "who.lua": Self.who], arguments: ["--forwarded-allow-ips", "127.0.0.1"])
        let nginx = try nginx(upstream: "127.0.0.1:\(luagw.port)", in: scratch)
        defer { nginx.process.terminate(); nginx.process.waitUntilExit() }
        let client = try WebSocketClient(port: nginx.port)
        try client.open("/echo")
        try client.sendText("through nginx")
        let answer = try client.receiveFrame()
        XCTAssertEqual(answer.text, "echo: through nginx")
        try client.send(opcode: WebSocketClient.close, WebSocketClient.closePayload(1000))
        XCTAssertEqual(try client.receiveClose().opcode, WebSocketClient.close)
        try assertServedThrough(port: nginx.port)
    }

    func testTheDocumentedNginxConfigurationOverTCP() throws {
        let scratch = try ScratchDirectory("luagw-deploy")
        defer { scratch.remove() }
        let luagw = try LuagwProcess(["who.lua": Self.who], arguments: ["--forwarded-allow-ips", "127.0.0.1"])
        let nginx = try nginx(upstream: "127.0.0.1:\(luagw.port)", in: scratch)
        defer { nginx.process.terminate(); nginx.process.waitUntilExit() }
        try assertServedThrough(port: nginx.port)
    }
}
