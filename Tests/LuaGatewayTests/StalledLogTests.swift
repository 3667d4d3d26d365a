import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SPEC 5 (issue 23): a full or stalled log destination never blocks an event loop. A real
/// `luagw serve` process: with its standard output a pipe nobody reads, it goes on answering,
/// drops access lines, counts them in /metrics and says so once; writing to /dev/full is counted
/// and said once; lines longer than a pipe's atomic write, from two workers at once, come out whole.
final class StalledLogTests: XCTestCase {
    static let hello = ["hello.lua": #"return function(e, sr) sr(200, {}); return "hello" end"#]

    /// `luagw serve` with the access log to `accessLog`, `--admin` on a port of its own, its standard
    /// output `output` and its standard error read by the returned recorder; and the admin port.
    func serve(accessLog: String, output: Any = FileHandle.nullDevice, arguments: [String] = [])
        throws -> (LuagwProcess, errors: PipeRecorder, admin: Int) {
        let errors = Pipe()
        let server = try LuagwProcess(Self.hello, arguments: ["--access-log", accessLog, "--admin", "127.0.0.1:0",
                                                              "--log-level", "info"] + arguments,
                                      outputs: (output, errors))
        let log = PipeRecorder(errors)
        let announced = #"admin listener on 127\.0\.0\.1:(\d+)"#
        waitUntil("the admin listener's address on standard error") { log.text.range(of: announced, options: .regularExpression) != nil }
        let line = try XCTUnwrap(log.text.range(of: announced, options: .regularExpression).map { log.text[$0] })
        return (server, log, try XCTUnwrap(Int(line.split(separator: ":").last ?? "")))
    }

    /// A sample of the admin listener's /metrics, e.g. `luagw_log_lines_dropped_total{log="access"}`.
    func metric(_ sample: String, admin: Int) throws -> Double? {
        let exposition = try RawClient(port: admin).request("GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n").text
        let line = exposition.split(separator: "\n").first { $0.hasPrefix(sample + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// An access line of a GET answered 200 whose target is `/hello?` and then `query`'s pattern.
    static func accessLine(query: String) -> String {
        #"^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET /hello\?"# + query
            + #" HTTP/1\.1" 200 5 \d+\.\d{6} [0-9a-f]+-[0-9a-f]+-[0-9a-f]+$"#
    }

    func testAStalledStandardOutputStopsNoRequestAndItsLossIsCountedAndSaidOnce() throws {
        let output = Pipe()
        let (server, errors, admin) = try serve(accessLog: "-", output: output)
        defer { kill(server.process.processIdentifier, SIGKILL) }  // one stuck writing to the pipe would not end on SIGTERM
        let client = try server.client()
        // 3000 lines of 7 KiB: the pipe (64 KiB) and the writer's queue (4 MiB) fill many times over.
        let padding = String(repeating: "x", count: 7000)
        for i in 0..<3000 {  // a request not answered within the client's 60 s ends the test
            let answer = try client.request("GET /hello?\(i)-\(padding) HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(answer.code, 200)
        }
        let dropped = "luagw_log_lines_dropped_total{log=\"access\"}"
        XCTAssertGreaterThan(try metric(dropped, admin: admin) ?? 0, 0)
        waitUntil("the notice of lost access lines") { errors.text.contains("access log: dropping lines: standard output takes them") }

        let lines = PipeRecorder(output)  // the reader is back
        waitUntil(seconds: 60, "the notice that the access log is written again") {
            errors.text.contains("access log: writing to standard output again; ")
        }
        XCTAssertEqual(try client.request("GET /hello?after HTTP/1.1\r\nHost: t\r\n\r\n").code, 200)
        waitUntil("the line of the request after the stall") { lines.text.contains("GET /hello?after ") }
        XCTAssertEqual(errors.occurrences(of: "access log: dropping lines"), 1, errors.text)
        let written = lines.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let whole = Self.accessLine(query: "(\\d+-x{7000}|after)")
        XCTAssertEqual(written.filter { $0.range(of: whole, options: .regularExpression) == nil }.count, 0, "every line whole")
        XCTAssertEqual(written.count + Int(try metric(dropped, admin: admin) ?? 0), 3001, "every line written or counted")
        XCTAssertEqual(try metric("luagw_log_write_errors_total{log=\"access\"}", admin: admin), 0)
    }

    func testAStalledStandardErrorStopsNoRequestAndItsLossIsSaidWhenItFlowsAgain() throws {
        let errors = Pipe()
        let talk = #"return function(e, sr) e["wsgi.errors"]:write(string.rep("z", 7000) .. "\n"); sr(200, {}); return "" end"#
        let server = try LuagwProcess(["talk.lua": talk], arguments: ["--log-level", "info"], outputs: (FileHandle.nullDevice, errors))
        defer { kill(server.process.processIdentifier, SIGKILL) }  // one stuck writing to the pipe would not end on SIGTERM
        let client = try server.client()
        for _ in 0..<1500 {  // 10 MiB of wsgi.errors lines: the pipe and the writer's queue fill
            let answer = try client.request("GET /talk HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(answer.code, 200)
        }
        let log = PipeRecorder(errors)  // the reader is back
        let resumed = #"error log: writing to standard error again; (\d+) lines were dropped"#
        waitUntil(seconds: 60, "the count of error lines dropped") { log.text.range(of: resumed, options: .regularExpression) != nil }
        let lines = log.text.split(separator: "\n")
        let notes = lines.filter { $0.contains(" notice luagw: request_id=") }
        XCTAssertGreaterThan(notes.count, 0)
        XCTAssertTrue(notes.allSatisfy { $0.hasSuffix("[app /talk] " + String(repeating: "z", count: 7000)) }, "every line whole")
        let count = lines.first { $0.range(of: resumed, options: .regularExpression) != nil }
            .flatMap { Int($0.split(separator: ";").last?.split(separator: " ").first ?? "") }
        // The warning said at the first drop is itself dropped and counted when the queue is still full.
        let warningLost = log.text.contains("error log: dropping lines") ? 0 : 1
        XCTAssertEqual(notes.count + (count ?? 0), 1500 + warningLost, "every line written or counted")
    }

    func testAFullDiskIsCountedAndSaidOnce() throws {
        let (server, errors, admin) = try serve(accessLog: "/dev/full")
        for round in 1...2 {
            let client = try server.client()
            for i in 0..<100 { XCTAssertEqual(try client.request("GET /hello?\(i) HTTP/1.1\r\nHost: t\r\n\r\n").code, 200) }
            waitUntil("the lines of round \(round) counted as lost") {
                (try? metric("luagw_log_lines_dropped_total{log=\"access\"}", admin: admin)) == Double(100 * round)
            }
        }
        XCTAssertGreaterThanOrEqual(try metric("luagw_log_write_errors_total{log=\"access\"}", admin: admin) ?? 0, 2)
        XCTAssertEqual(errors.occurrences(of: "access log: cannot write to /dev/full (No space left on device)"), 1, errors.text)
        XCTAssertEqual(errors.occurrences(of: " error luagw: "), 1, "one error line: \(errors.text)")
    }

    func testLinesLongerThanAPipesAtomicWriteFromTwoWorkersComeOutWhole() throws {
        let scratch = try ScratchDirectory("luagw-long-lines")
        defer { scratch.remove() }
        let file = scratch.url.appendingPathComponent("access.log").path
        let (server, _, _) = try serve(accessLog: file, arguments: ["--workers", "2"])
        let clients = 4, requests = 150
        DispatchQueue.concurrentPerform(iterations: clients) { c in
            guard let client = try? server.client() else { return XCTFail("client \(c) could not connect") }
            for i in 0..<requests {
                let target = "/hello?\(c)-\(i)-" + String(repeating: "y", count: 4096 + (c * requests + i) % 3000)
                XCTAssertEqual(try? client.request("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n").code, 200)
            }
        }
        XCTAssertTrue(server.signal(SIGTERM, waitingUpTo: 60), "luagw ended")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, clients * requests)
        var seen = Set<String>()
        for line in lines {
            guard let id = line.range(of: Self.accessLine(query: #"\d+-\d+-y{4096,}"#), options: .regularExpression)
                .flatMap({ _ in line.split(separator: "?").last?.split(separator: "-").prefix(2).joined(separator: "-") }) else {
                XCTFail("a torn line: \(line.prefix(120))…\(line.suffix(60))")
                continue
            }
            seen.insert(id)
        }
        XCTAssertEqual(seen.count, clients * requests, "every request's line, once")
    }
}
