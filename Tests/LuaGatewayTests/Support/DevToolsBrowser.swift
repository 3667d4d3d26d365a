import Foundation
import XCTest

/// A headless Chromium driven over the DevTools protocol, for pages that must stay open while
/// something else happens (a chat's two windows): it opens tabs, runs JavaScript in them and
/// takes their screenshots. The protocol's WebSocket is spoken with `WebSocketClient`.
final class DevToolsBrowser {
    private let process: Process
    private let profile: ScratchDirectory
    private let socket: WebSocketClient
    private var nextID = 0

    /// One tab: its DevTools session.
    struct Tab {
        let session: String
    }

    init() throws {
        try HeadlessChromium.skipUnlessInstalled()
        let profile = try ScratchDirectory("luagw-devtools"), process = Process()
        process.executableURL = URL(fileURLWithPath: HeadlessChromium.path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(profile.path)", "--remote-debugging-port=0", "--window-size=900,640",
                             "about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            socket = try Self.connect(profile)
        } catch {
            process.terminate()
            process.waitUntilExit()
            profile.remove()
            throw error
        }
        self.process = process
        self.profile = profile
    }

    /// The browser's DevTools WebSocket: Chromium writes its port and path in the profile once it listens.
    private static func connect(_ profile: ScratchDirectory) throws -> WebSocketClient {
        let file = profile.url.appendingPathComponent("DevToolsActivePort")
        var lines: [Substring] = []
        waitUntil("chromium's DevToolsActivePort") {
            lines = ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n")
            return lines.count == 2
        }
        guard lines.count == 2, let port = Int(lines[0]) else { throw ClientError.badChunk("no DevTools port") }
        let socket = try WebSocketClient(port: port, timeout: 30)
        let handshake = "GET \(lines[1]) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: \(WebSocketClient.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let response = try socket.handshake(handshake)
        guard response.code == 101 else { throw ClientError.badChunk("DevTools: \(response.statusLine)") }
        return socket
    }

    /// Sends `method` (to `tab`, or to the browser) and returns its result.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], tab: Tab? = nil) throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": params]
        if let tab { message["sessionId"] = tab.session }
        try socket.send(opcode: WebSocketClient.text, Array(try JSONSerialization.data(withJSONObject: message)))
        while true {  // events come in between: skip them
            let frame = try socket.receiveFrame()
            guard let answer = try JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any],
                  answer["id"] as? Int == nextID else { continue }
            if let error = answer["error"] { throw ClientError.badChunk("\(method): \(error)") }
            return answer["result"] as? [String: Any] ?? [:]
        }
    }

    /// A new tab on `url`.
    func open(_ url: String) throws -> Tab {
        let target = try call("Target.createTarget", ["url": url])["targetId"] as? String ?? ""
        let attached = try call("Target.attachToTarget", ["targetId": target, "flatten": true])
        return Tab(session: attached["sessionId"] as? String ?? "")
    }

    /// The value of the JavaScript `expression` in `tab`, as a string.
    func evaluate(_ expression: String, in tab: Tab) throws -> String {
        let result = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true], tab: tab)
        return "\((result["result"] as? [String: Any])?["value"] ?? "")"
    }

    /// Saves `tab`'s screenshot in HeadlessChromium.screenshots as `name`.png.
    func screenshot(_ tab: Tab, as name: String) throws {
        let shot = try call("Page.captureScreenshot", ["format": "png"], tab: tab)
        let png = Data(base64Encoded: shot["data"] as? String ?? "") ?? Data()
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(name).png is a PNG")
        try FileManager.default.createDirectory(at: HeadlessChromium.screenshots, withIntermediateDirectories: true)
        let file = HeadlessChromium.screenshots.appendingPathComponent("\(name).png")
        try png.write(to: file)
        print("screenshot: \(file.path)")
    }

    func close() {
        process.terminate()
        process.waitUntilExit()
        profile.remove()
    }
}
