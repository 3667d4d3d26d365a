import Foundation
import XCTest
@testable import LuaGateway

/// The same WSAPI applications (Tests/WSAPI/apps) run in-process through Debian's wsapi.mock
/// with lua5.4, under uWSGI's Lua plugin (Debian's, Lua 5.1: itself a WSAPI host), and over
/// HTTP through luagw: the same status, header fields (as sets; framing fields aside) and body.
final class WSAPIDifferentialTests: XCTestCase {
    /// One request: how luagw gets it (raw bytes to /APP...) and how wsapi.mock does.
    struct Case {
        let app: String
        let raw: String
        let mockArguments: [String]
    }

    static let form = "a=1&b=two+words"

    static func cases() throws -> [Case] {
        let scratch = FileManager.default.temporaryDirectory
        let formFile = scratch.appendingPathComponent("luagw-wsapi-form-\(getpid())")
        try form.write(to: formFile, atomically: true, encoding: .utf8)
        let multipartFile = scratch.appendingPathComponent("luagw-wsapi-multipart-\(getpid())")
        try WSAPIApps.multipartBody.write(to: multipartFile, atomically: true, encoding: .utf8)
        let multipartType = "multipart/form-data; boundary=\(WSAPIApps.boundary)"
        return [
            Case(app: "hello", raw: "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", mockArguments: ["GET", "/"]),
            Case(app: "params", raw: "GET /params/list?name=bob HTTP/1.1\r\nHost: t\r\n\r\n",
                 mockArguments: ["GET", "/list", "name=bob"]),
            Case(app: "params",
                 raw: "POST /params/form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)",
                 mockArguments: ["POST", "/form", "body=\(formFile.path)", "type=application/x-www-form-urlencoded"]),
            Case(app: "params",
                 raw: "POST /params/up HTTP/1.1\r\nHost: t\r\nContent-Type: \(multipartType)\r\n"
                    + "Content-Length: \(WSAPIApps.multipartBody.utf8.count)\r\n\r\n\(WSAPIApps.multipartBody)",
                 mockArguments: ["POST", "/up", "body=\(multipartFile.path)", "type=\(multipartType)"]),
            Case(app: "cookies", raw: "GET /cookies HTTP/1.1\r\nHost: t\r\nCookie: visits=3; a=b\r\n\r\n",
                 mockArguments: ["GET", "/", "HTTP_COOKIE=visits=3; a=b"]),
            Case(app: "stream", raw: "GET /stream/s HTTP/1.1\r\nHost: t\r\n\r\n", mockArguments: ["GET", "/s"]),
            Case(app: "error_page", raw: "GET /error_page HTTP/1.1\r\nHost: t\r\n\r\n", mockArguments: ["GET", "/"]),
            Case(app: "redirect", raw: "GET /redirect/r HTTP/1.1\r\nHost: t\r\n\r\n", mockArguments: ["GET", "/r"]),
            Case(app: "not_found", raw: "GET /not_found/exists HTTP/1.1\r\nHost: t\r\n\r\n", mockArguments: ["GET", "/exists"]),
        ]
    }

    /// What a response says that the comparison looks at.
    struct Answer: Equatable, CustomStringConvertible {
        var code: Int
        var fields: [String]  // "name: value", the name in lower case, sorted
        var body: [UInt8]
        var description: String { "\(code) \(fields) \(String(decoding: body, as: UTF8.self).debugDescription)" }
    }

    /// Fields a host adds or frames by itself.
    static let framing: Set<String> = ["date", "connection", "transfer-encoding", "server", "keep-alive"]

    static func answer(code: Int, fields: [(String, String)], body: [UInt8]) -> Answer {
        Answer(code: code, fields: fields.filter { !framing.contains($0.0.lowercased()) }
                   .map { "\($0.0.lowercased()): \($0.1)" }.sorted(), body: body)
    }

    /// Runs one request through wsapi.mock (Tests/WSAPI/mock_request.lua) with lua5.4.
    static func mock(_ app: String, _ arguments: [String]) throws -> Answer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/lua5.4")
        process.arguments = [WSAPIApps.folder.appendingPathComponent("mock_request.lua").path, WSAPIApps.file(app).path] + arguments
        process.environment = ["LUA_PATH": WSAPITests.debianWSAPI + "/?.lua;;"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = [UInt8](output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "wsapi.mock ran \(app)")
        // status LF, fields one a line, an empty line, the body
        var lines: [String] = []
        var start = 0, index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                let line = String(decoding: bytes[start..<index], as: UTF8.self)
                start = index + 1
                if line.isEmpty && !lines.isEmpty { break }
                lines.append(line)
            }
            index += 1
        }
        let fields = lines.dropFirst().map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(colon, offsetBy: 2)...]))
        }
        return answer(code: Int(lines.first ?? "") ?? 0, fields: fields, body: Array(bytes[start...]))
    }

    func testLuagwAnswersWhatWSAPIMockAnswers() throws {
        let server = try WSAPITests.server(try WSAPIApps.scripts(["hello", "params", "cookies", "stream", "error_page",
                                                                  "redirect", "not_found"]))
        for testCase in try Self.cases() {
            let response = try server.client().request(testCase.raw)
            let luagw = Self.answer(code: response.code, fields: response.headers, body: response.body)
            var reference = try Self.mock(testCase.app, testCase.mockArguments)
            if !reference.fields.contains(where: { $0.hasPrefix("content-length: ") }) {
                // wsapi.mock adds no framing; luagw streamed this body chunked.
                XCTAssertEqual(response.header("Transfer-Encoding"), "chunked", testCase.app)
                reference.fields = reference.fields.filter { !$0.hasPrefix("content-length: ") }
            }
            XCTAssertEqual(luagw, reference, "\(testCase.app): \(testCase.mockArguments)")
        }
    }

    func testNotFoundThroughErrorIsAnsweredAsWSAPIHostsDoWithoutTheMocksDoubleWrapping() throws {
        let server = try WSAPITests.server(try WSAPIApps.scripts(["not_found"]))
        let luagw = try server.get("/not_found/nope")
        let reference = try Self.mock("not_found", ["GET", "/nope"])
        XCTAssertEqual(luagw.code, reference.code)
        XCTAssertEqual(luagw.header("Content-Type"), "text/html")
        XCTAssertTrue(reference.fields.contains("content-type: text/html"), reference.description)
        for page in [luagw.text, String(decoding: reference.body, as: UTF8.self)] {
            XCTAssertTrue(page.contains("<title>Resource not found</title>") && page.contains("<p>no page at /nope</p>"), page)
        }
        // wsapi.common wraps its 404 page in a second one; luagw sends the page once.
        XCTAssertEqual(luagw.text.components(separatedBy: "<html>").count, 2, luagw.text)
    }

    /// The request as a host that serves the application at / gets it: `/APP` dropped from the target.
    static func atRoot(_ raw: String, app: String) -> String {
        let line = raw.prefix(while: { $0 != "\r" })
        let parts = line.split(separator: " ", maxSplits: 2)
        var target = String(parts[1].dropFirst(app.count + 1))
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        return "\(parts[0]) \(target) \(parts[2])" + raw.dropFirst(line.count)
    }

    /// One response from uWSGI, which frames a body without Content-Length by nothing at all
    /// (it neither chunks it nor closes the connection): such a body is read up to `count` bytes.
    static func uwsgiAnswer(_ client: RawClient, unframedCount count: Int) throws -> Answer {
        let head = try client.read(through: "\r\n\r\n").split(separator: "\r\n")
        let code = Int(head[0].split(separator: " ")[1]) ?? 0
        let fields = head.dropFirst().map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = fields.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? count
        var body = client.takeBuffered()
        while body.count < length {
            guard try client.fill() else { break }
            body += client.takeBuffered()
        }
        return answer(code: code, fields: fields, body: body)
    }

    func testLuagwAnswersWhatUWSGIsLuaPluginAnswers() throws {
        let plugin = "/usr/lib/uwsgi/plugins/lua51_plugin.so"
        guard FileManager.default.fileExists(atPath: plugin), FileManager.default.fileExists(atPath: "/usr/share/lua/5.1/wsapi") else {
            throw XCTSkip("uWSGI's Lua plugin or Debian's lua-wsapi is not installed: scripts/test installs them")
        }
        let cases = try Self.cases()
        let server = try WSAPITests.server(try WSAPIApps.scripts(Array(Set(cases.map(\.app)))))
        for app in Set(cases.map(\.app)).sorted() {
            let (uwsgi, port) = try startListening("/usr/bin/uwsgi", discardingOutput: true) { port in
                ["--plugin", plugin, "--http11-socket", "127.0.0.1:\(port)", "--http-socket-modifier1", "6",
                 "--lua", WSAPIApps.file(app).path, "-p", "1", "--disable-logging"]
            }
            defer { uwsgi.terminate(); uwsgi.waitUntilExit() }
            for testCase in cases where testCase.app == app {
                let response = try server.client().request(testCase.raw)
                var luagw = Self.answer(code: response.code, fields: response.headers, body: response.body)
                let client = try RawClient(port: port)
                try client.send(Self.atRoot(testCase.raw, app: app))
                let reference = try Self.uwsgiAnswer(client, unframedCount: response.body.count)
                if response.header("Transfer-Encoding") == "chunked" {
                    XCTAssertFalse(reference.fields.contains { $0.hasPrefix("content-length: ") }, app)
                } else if !reference.fields.contains(where: { $0.hasPrefix("content-length: ") }) {
                    luagw.fields = luagw.fields.filter { !$0.hasPrefix("content-length: ") }
                }
                XCTAssertEqual(luagw, reference, "\(app): \(Self.atRoot(testCase.raw, app: app).debugDescription)")
            }
        }
    }
}
