import Foundation
import XCTest

/// The command-line tool: --version, --help documents each flag, bad flags get a clear error.
final class CommandLineTests: XCTestCase {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try LuagwProcess.run(arguments, mergingErrors: true)
        return (result.status, result.out)
    }

    /// The start-up line carries a URL a person can open (issue 26 item 11).
    func testTheStartUpLineHasAURLToOpen() throws {
        let server = try LuagwProcess(["hello.lua": "return function(e, sr) sr(200, {}) return 'hi' end"],
                                      arguments: ["--log-level", "info"], capturingErrors: true)
        waitUntil("the start-up line") { server.errors.contains(" serving ") }
        XCTAssertTrue(server.errors.contains("on 127.0.0.1:\(server.port) (http://127.0.0.1:\(server.port)/)"), server.errors)
    }

    func testVersion() throws {
        let result = try run(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), "0.1.0")
    }

    func testHelpDocumentsEveryFlag() throws {
        let result = try run(["serve", "--help"])
        XCTAssertEqual(result.status, 0)
        for flag in ["--bind", "--workers", "--states", "--requests-per-state", "--max-states", "--queue", "--body-buffer", "--dev", "--log-level",
                     "--reload", "--poll-interval", "--max-target", "--max-header-bytes", "--max-headers", "--max-body",
                     "--keep-alive", "--header-timeout", "--body-timeout", "--max-connections",
                     "--memory-per-state", "--run-time", "--time-slice", "--grace-time", "--access-log", "--forwarded-allow-ips", "--reuse-port", "--shared-capacity", "--max-timers", "--socket-timeout", "--socket-mode", "--socket-group"] {
            XCTAssertTrue(result.output.contains(flag), flag)
        }
    }

    func testTheStartUpLinesSayWhatIsServedAndHow() throws {
        let empty = try ScratchDirectory("luagw-empty")
        defer { empty.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LuagwProcess.binary())
        process.arguments = ["serve", empty.path, "--bind", "127.0.0.1:0", "--workers", "1", "--dev"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Whatever happens, the reads below end: a luagw that never says it is stopped after a minute.
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if process.isRunning { process.interrupt() } }
        var said = ""
        while !said.contains("no script found"), case let chunk = errors.fileHandleForReading.availableData, !chunk.isEmpty {
            said += String(decoding: chunk, as: UTF8.self)
        }
        process.terminate()
        process.waitUntilExit()
        XCTAssertTrue(said.contains("with 1 worker, "), said)
        XCTAssertTrue(said.contains("development mode (--dev); mounts: none"), said)
        XCTAssertTrue(said.contains("warning luagw: [luagw] no script found in \(empty.path): every request answers 404"), said)
        let help = try run(["serve", "--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(help.contains("(default: the core count). --states"), "said once: \(help)")
    }

    func testBadInputGetsAClearError() throws {
        let bind = try run(["serve", "examples", "--bind", "nowhere"])
        XCTAssertNotEqual(bind.status, 0)
        XCTAssertTrue(bind.output.contains("--bind: expected HOST:PORT"), bind.output)
        let missing = try run(["serve", "/no/such/dir", "--bind", "127.0.0.1:0"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("no such file or directory: /no/such/dir"), missing.output)
        let none = try run(["serve", "examples", "--bind", "127.0.0.1:0", "--requests-per-state", "0"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.output.contains("--requests-per-state must be at least 1"), none.output)
    }
}
