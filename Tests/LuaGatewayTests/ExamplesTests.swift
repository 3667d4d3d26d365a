import Foundation
import Logging
import XCTest
@testable import LuaGateway

/// The examples a new user reads first actually work.
final class ExamplesTests: XCTestCase {
    var server: GatewayServer!
    var port = 0

    override func setUpWithError() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").path
        var logger = Logger(label: "examples")
        logger.logLevel = .critical
        server = try GatewayServer(configuration: GatewayConfiguration(target: examples, bind: BindAddress(host: "127.0.0.1", port: 0), workers: 1, reload: .off),
                                   logger: logger)
        port = try server.start().port
    }

    override func tearDownWithError() throws {
        try server.shutdown()
    }

    func request(_ raw: String) throws -> Response {
        try RawClient(port: port).request(raw)
    }

    func testExamples() throws {
        XCTAssertEqual(try request("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n").text, "Hello, world!\n")
        XCTAssertTrue(try request("GET / HTTP/1.1\r\nHost: t\r\n\r\n").text.contains("/stream"))
        let fields = "name=Ada+L&color=%3Cb%3Eblue"
        let form = try request("POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(fields.utf8.count)\r\n\r\n\(fields)")
        XCTAssertTrue(form.text.contains("<li>name = Ada L</li>"), form.text)
        XCTAssertTrue(form.text.contains("<li>color = &lt;b&gt;blue</li>"), form.text)
        XCTAssertEqual(try request("GET /stream?n=3 HTTP/1.1\r\nHost: t\r\n\r\n").text, "line 1 of 3\nline 2 of 3\nline 3 of 3\n")
        XCTAssertEqual(try request("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello").text, "received 5 bytes\n")
        XCTAssertTrue(try request("GET /environ/a/b?x=1 HTTP/1.1\r\nHost: t\r\n\r\n").text.contains("PATH_INFO = /a/b\n"))
        let host = "Host: 127.0.0.1:\(port)\r\n"
        let first = try request("GET /dashboard HTTP/1.1\r\n\(host)\r\n").text
        XCTAssertTrue(first.contains("/hello said: Hello, world!\n"), first)
        let visits = { (text: String) in Int(text.split(separator: "\n")[0].split(separator: " ")[1]) ?? 0 }
        XCTAssertEqual(visits(try request("GET /dashboard HTTP/1.1\r\n\(host)\r\n").text), visits(first) + 1)
    }

    func testTheNotesService() throws {
        let page = try request("GET /notes.html HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(page.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains("/notes.js"))
        XCTAssertEqual(try request("GET /notes.js HTTP/1.1\r\nHost: t\r\n\r\n").code, 200)
        XCTAssertEqual(try request("GET /notes/api/notes HTTP/1.1\r\nHost: t\r\n\r\n").text, "[]")
        let note = #"{"text": "buy <milk>"}"#
        let created = try request("POST /notes/api/notes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                  + "Content-Length: \(note.utf8.count)\r\n\r\n\(note)")
        XCTAssertEqual(created.code, 201)
        let location = try XCTUnwrap(created.header("Location"))
        XCTAssertTrue(location.hasPrefix("/notes/api/notes/"), location)
        let listed = try request("GET /notes/api/notes HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
        XCTAssertNil(listed.header("Content-Encoding"), "a short list is not worth compressing")
        let notes = try JSONSerialization.jsonObject(with: Data(listed.body)) as? [[String: Any]]
        XCTAssertEqual(notes?.first?["text"] as? String, "buy <milk>")
        let empty = try request("POST /notes/api/notes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"text\": \" \"}")
        XCTAssertEqual(empty.code, 400)
        XCTAssertEqual(try request("DELETE \(location) HTTP/1.1\r\nHost: t\r\n\r\n").code, 204)
        XCTAssertEqual(try request("GET \(location) HTTP/1.1\r\nHost: t\r\n\r\n").code, 404)
    }
}
