import Foundation
import Logging
import XCTest
@testable import LuaGateway

/// The examples a new user reads first actually work.
final class ExamplesTests: XCTestCase {
    var server: GatewayServer!
    var port = 0
    var notes: ScratchDirectory?

    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    override func setUpWithError() throws {
        notes = try useScratchNotesFile()
        try startServer()
    }

    /// Serves examples/ on a new port.
    func startServer() throws {
        var logger = Logger(label: "examples")
        logger.logLevel = .critical
        server = try GatewayServer(configuration: GatewayConfiguration(target: Self.examples, bind: BindAddress(host: "127.0.0.1", port: 0), workers: 1, reload: .off),
                                   logger: logger)
        port = try server.start().port
    }

    override func tearDownWithError() throws {
        try server.shutdown()
        notes?.remove()
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
        XCTAssertEqual(try request("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello").text, "received 5 bytes\n")
        XCTAssertTrue(try request("GET /environ/a/b?x=1 HTTP/1.1\r\nHost: t\r\n\r\n").text.contains("PATH_INFO = /a/b\n"))
        let host = "Host: 127.0.0.1:\(port)\r\n"
        let first = try request("GET /dashboard HTTP/1.1\r\n\(host)\r\n").text
        XCTAssertTrue(first.contains("/hello said: Hello, world!\n"), first)
        let visits = { (text: String) in Int(text.split(separator: "\n")[0].split(separator: " ")[1]) ?? 0 }
        XCTAssertEqual(visits(try request("GET /dashboard HTTP/1.1\r\n\(host)\r\n").text), visits(first) + 1)
    }

    /// examples/_middleware.lua: a browser that gets a text/plain example gets a page that links
    /// back to the index, streamed as the text is; curl gets the text as it is.
    func testTextExamplesLinkBackToTheIndexInABrowser() throws {
        let browser = "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
        let hello = try request("GET /hello HTTP/1.1\r\nHost: t\r\n\(browser)\r\n")
        XCTAssertEqual(hello.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertTrue(hello.text.contains("<a href=\"/\">All examples</a>"), hello.text)
        XCTAssertTrue(hello.text.contains("<pre>Hello, world!\n</pre>"), hello.text)
        let environ = try request("GET /environ/a HTTP/1.1\r\nHost: t\r\n\(browser)X-Probe: <b>\r\n\r\n")
        XCTAssertTrue(environ.text.contains("HTTP_X_PROBE = &lt;b&gt;"), "escaped: \(environ.text)")
        let stream = try request("GET /stream?n=2 HTTP/1.1\r\nHost: t\r\n\(browser)\r\n")
        XCTAssertEqual(stream.header("Transfer-Encoding"), "chunked", "still streamed")
        XCTAssertTrue(stream.text.contains("line 2 of 2") && stream.text.hasSuffix("</html>\n"), stream.text)
        XCTAssertEqual(try request("GET /hello HTTP/1.1\r\nHost: t\r\nAccept: */*\r\n\r\n").text, "Hello, world!\n")
    }

    func testTheIndexSpeaksToBrowsersAndCurlAndAnswersTheFavicon() throws {
        let html = try request("GET / HTTP/1.1\r\nHost: t\r\nAccept: text/html,*/*\r\n\r\n")
        XCTAssertEqual(html.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertTrue(html.text.contains("<a href=\"/upload\">/upload</a>"), html.text)
        XCTAssertEqual(try request("GET / HTTP/1.1\r\nHost: t\r\n\r\n").header("Content-Type"), "text/plain; charset=utf-8")
        XCTAssertEqual(try request("GET /favicon.ico HTTP/1.1\r\nHost: t\r\n\r\n").code, 204)
        XCTAssertEqual(try request("GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n").code, 404)
    }

    func testTheStreamSendsEachLineAsItComes() throws {
        let client = try RawClient(port: port)
        try client.send("GET /stream?n=4 HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client.read(through: "line 1 of 4")
        let first = Date()
        _ = try client.read(through: "line 4 of 4")
        // Three sleeps of 200 ms lie between the first line and the last: had the server held the
        // lines back, they would have come together.
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(first), 0.55)
    }

    func testTheFormAndTheUploadTakeMultipart() throws {
        let boundary = "XyZ"
        let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda <L>\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\n12345\r\n--\(boundary)--\r\n"
        func post(_ path: String, _ field: String) throws -> String {
            let named = body.replacingOccurrences(of: "name=\"attachment\"", with: "name=\"\(field)\"")
            return try request("POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\n"
                               + "Content-Length: \(named.utf8.count)\r\n\r\n\(named)").text
        }
        let form = try post("/form", "attachment")
        XCTAssertTrue(form.contains("<h1>Posted as multipart/form-data</h1>"), form)
        XCTAssertTrue(form.contains("<li>name = Ada &lt;L&gt;</li>") && form.contains("<li>attachment: file a.txt, 5 bytes</li>"), form)
        let upload = try post("/upload", "file")
        XCTAssertTrue(upload.contains("<li>a.txt (text/plain): 5 bytes</li>"), upload)
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
        XCTAssertEqual(try request("GET \(location) HTTP/1.1\r\nHost: t\r\n\r\n").text.contains("buy <milk>"), true)
        // The notes are in SQLite (SPEC 13): a new server on the same file still has them.
        try server.shutdown()
        try startServer()
        XCTAssertTrue(try request("GET /notes/api/notes HTTP/1.1\r\nHost: t\r\n\r\n").text.contains("buy <milk>"))
        let empty = try request("POST /notes/api/notes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"text\": \" \"}")
        XCTAssertEqual(empty.code, 400)
        XCTAssertEqual(try request("DELETE \(location) HTTP/1.1\r\nHost: t\r\n\r\n").code, 204)
        XCTAssertEqual(try request("GET \(location) HTTP/1.1\r\nHost: t\r\n\r\n").code, 404)
    }
}
