import Foundation
import Logging
import XCTest
@testable import LuaGateway

/// The examples as a browser shows them (issue 12): each page opened in headless Chromium
/// (Debian's `chromium`, installed by scripts/test), its rendered DOM checked, and a screenshot
/// saved in `.build/screenshots/` for a person to look at.
final class ExamplePagesTests: XCTestCase {
    var server: GatewayServer!
    var port = 0
    var notes: ScratchDirectory?

    override func setUpWithError() throws {
        try HeadlessChromium.skipUnlessInstalled()
        let examples = HeadlessChromium.screenshots.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
        notes = try useScratchNotesFile()
        var logger = Logger(label: "examples")
        logger.logLevel = .critical
        server = try GatewayServer(configuration: GatewayConfiguration(target: examples.path, bind: BindAddress(host: "127.0.0.1", port: 0),
                                                                       workers: 1, reload: .off),
                                   logger: logger)
        port = try server.start().port
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        notes?.remove()
    }

    /// The DOM of `path` once rendered, and a screenshot of it saved as `name`.png.
    func open(_ path: String, as name: String) throws -> String {
        try HeadlessChromium.open("http://127.0.0.1:\(port)\(path)", as: name).dom
    }

    func testThePagesRenderAsAPersonWouldUseThem() throws {
        let index = try open("/", as: "examples-index")
        for link in ["/hello", "/form", "/upload", "/stream?n=10", "/dashboard", "/notes.html", "/chat.html"] {
            XCTAssertTrue(index.contains("<a href=\"\(link)\">"), "the index links \(link): \(index)")
        }

        let form = try open("/form", as: "examples-form")
        XCTAssertTrue(form.contains("<label>Name <input name=\"name\""), form)
        XCTAssertTrue(form.contains("formenctype=\"multipart/form-data\""), form)

        let upload = try open("/upload", as: "examples-upload")
        XCTAssertTrue(upload.contains("enctype=\"multipart/form-data\"") && upload.contains("type=\"file\""), upload)

        let stream = try open("/stream?n=4", as: "examples-stream")
        XCTAssertTrue(stream.contains("line 4 of 4"), stream)
        XCTAssertTrue(stream.contains("<a href=\"/\">All examples</a>"), "a text example links back to the index: \(stream)")

        let note = #"{"text": "seen by a browser"}"#
        let created = try RawClient(port: port).request("POST /notes/api/notes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                                         + "Content-Length: \(note.utf8.count)\r\n\r\n\(note)")
        XCTAssertEqual(created.code, 201)
        defer {  // luagw.shared outlives this server in the test process: leave the store empty
            _ = try? RawClient(port: port).request("DELETE \(created.header("Location") ?? "") HTTP/1.1\r\nHost: t\r\n\r\n")
        }
        let notes = try open("/notes.html", as: "examples-notes")
        XCTAssertTrue(notes.contains("<span>seen by a browser</span>"), "notes.js fetched and listed the note: \(notes)")
    }
}
