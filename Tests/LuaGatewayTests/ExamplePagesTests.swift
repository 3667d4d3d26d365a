import Foundation
import Logging
import XCTest
@testable import LuaGateway

/// The examples as a browser shows them (issue 12): each page opened in headless Chromium
/// (Debian's `chromium`, installed by scripts/test), its rendered DOM checked, and a screenshot
/// saved in `.build/screenshots/` for a person to look at.
final class ExamplePagesTests: XCTestCase {
    static let chromium = "/usr/bin/chromium"
    static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/screenshots")
    var server: GatewayServer!
    var port = 0

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            throw XCTSkip("chromium is not installed: run scripts/test")
        }
        let examples = Self.screenshots.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")
        var logger = Logger(label: "examples")
        logger.logLevel = .critical
        server = try GatewayServer(configuration: GatewayConfiguration(target: examples.path, bind: BindAddress(host: "127.0.0.1", port: 0),
                                                                       workers: 1, reload: .off),
                                   logger: logger)
        port = try server.start().port
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
    }

    /// Runs headless Chromium on `path` with `arguments` (its scripts run, the network settles
    /// within a virtual 5 s); its standard output.
    func chromium(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.chromium)
        let profile = try ScratchDirectory("luagw-chromium")
        defer { profile.remove() }
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000", "--window-size=900,640"]
            + arguments + ["http://127.0.0.1:\(port)\(path)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "chromium on \(path)")
        return text
    }

    /// The DOM of `path` once rendered, and a screenshot of it saved as `name`.png.
    func open(_ path: String, as name: String) throws -> String {
        let file = Self.screenshots.appendingPathComponent("\(name).png")
        try? FileManager.default.removeItem(at: file)
        _ = try chromium(path, ["--screenshot=\(file.path)"])
        let png = try Data(contentsOf: file)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(name).png is a PNG")
        print("screenshot: \(file.path)")
        return try chromium(path, ["--dump-dom"])
    }

    func testThePagesRenderAsAPersonWouldUseThem() throws {
        let index = try open("/", as: "examples-index")
        for link in ["/hello", "/form", "/upload", "/stream?n=10", "/dashboard", "/notes.html"] {
            XCTAssertTrue(index.contains("<a href=\"\(link)\">"), "the index links \(link): \(index)")
        }

        let form = try open("/form", as: "examples-form")
        XCTAssertTrue(form.contains("<label>Name <input name=\"name\""), form)
        XCTAssertTrue(form.contains("formenctype=\"multipart/form-data\""), form)

        let upload = try open("/upload", as: "examples-upload")
        XCTAssertTrue(upload.contains("enctype=\"multipart/form-data\"") && upload.contains("type=\"file\""), upload)

        let stream = try open("/stream?n=4", as: "examples-stream")
        XCTAssertTrue(stream.contains("line 4 of 4"), stream)

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
