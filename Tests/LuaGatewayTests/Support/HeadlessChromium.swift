import Foundation
import NIOConcurrencyHelpers
import XCTest

/// Debian's `chromium` (installed by scripts/test), headless: a page as a browser renders it,
/// its console messages, and screenshots saved in `.build/screenshots/` for a person to look at.
enum HeadlessChromium {
    static let path = "/usr/bin/chromium"
    static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/screenshots")

    static func skipUnlessInstalled() throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("chromium is not installed: run scripts/test")
        }
    }

    /// Runs Chromium on `url` with `arguments` (its scripts run, the network settles within a
    /// virtual 5 s); its standard output, and the console messages it logged.
    static func run(_ url: String, _ arguments: [String]) throws -> (output: String, console: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        let profile = try ScratchDirectory("luagw-chromium")
        defer { profile.remove() }
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000", "--window-size=900,640",
                             "--enable-logging=stderr", "--v=0"] + arguments + [url]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let drained = DispatchGroup()
        let log = NIOLockedValueBox(Data())
        DispatchQueue.global().async(group: drained) {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            log.withLockedValue { $0 = data }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        drained.wait()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "chromium on \(url)")
        let console = String(decoding: log.withLockedValue { $0 }, as: UTF8.self).split(separator: "\n").filter { $0.contains("CONSOLE") }.map(String.init)
        return (text, console)
    }

    /// The DOM of `url` once rendered and the console messages of its rendering; a screenshot
    /// of it is saved as `name`.png. `arguments`: more of Chromium's flags.
    static func open(_ url: String, as name: String, arguments: [String] = []) throws -> (dom: String, console: [String]) {
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let file = screenshots.appendingPathComponent("\(name).png")
        try? FileManager.default.removeItem(at: file)
        let shot = try run(url, ["--screenshot=\(file.path)"] + arguments)
        let png = try Data(contentsOf: file)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(name).png is a PNG")
        print("screenshot: \(file.path)")
        return (try run(url, ["--dump-dom"] + arguments).output, shot.console)
    }
}
