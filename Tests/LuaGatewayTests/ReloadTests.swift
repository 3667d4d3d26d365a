import Foundation
import NIOConcurrencyHelpers
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SPEC 4, hot reload: a saved script serves the next request, no restart, no failed request.
final class ReloadTests: XCTestCase {
    static func version(_ v: String) -> String {
        #"return function(e, sr) sr("200 OK", {}); return "\#(v)" end"#
    }

    /// GETs `path` until its body is `expected`; returns the seconds it took, or nil after `limit`
    /// (generous: the machine may be busy).
    func waitFor(_ server: TestServer, _ path: String, _ expected: String, limit: Double = 20) throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < limit {
            if try server.get(path).text == expected { return Date().timeIntervalSince(start) }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }

    func testASavedScriptServesWithinASecond() throws {
        let server = try TestServer(["a.lua": Self.version("v1")], reload: .watch)
        XCTAssertEqual(try server.get("/a").text, "v1")
        try server.write("a.lua", Self.version("v2"))
        // SPEC 4's second is what an idle machine shows (docs/reload.md); a busy one may take longer.
        let seconds = try waitFor(server, "/a", "v2")
        XCTAssertNotNil(seconds)
        print(String(format: "reload: a saved script served after %.3f s", seconds ?? -1))
    }

    func testPollingFindsTheChangeToo() throws {
        let server = try TestServer(["a.lua": Self.version("v1")], reload: .poll)
        try server.write("a.lua", Self.version("polled"))
        XCTAssertNotNil(try waitFor(server, "/a", "polled"))
    }

    func testARunningRequestFinishesOnItsCode() throws {
        let old = #"return function(e, sr) local b = e["wsgi.input"]:read(); sr("200 OK", {}); return "old:" .. b end"#
        let server = try TestServer(["a.lua": old], reload: .watch)
        let running = try server.client()
        try running.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n")
        server.waitForRunningRequests(1)
        try server.write("a.lua", Self.version("new"))
        XCTAssertNotNil(try waitFor(server, "/a", "new"))
        try running.send("ok")
        XCTAssertEqual(try running.readResponse().text, "old:ok")
    }

    /// A database or a log written beside the scripts (SPEC 13's SQLite file) costs the watcher
    /// no rescan: only scripts and directories are looked at.
    func testFilesThatAreNotScriptsCostNoRescan() throws {
        let log = LogCapture()
        var logger = log.logger
        logger.logLevel = .debug
        let server = try TestServer(["a.lua": Self.version("one")], reload: .watch, logger: logger)
        for i in 0..<10 {  // paced past the watcher's quiet time: each write its own burst
            try server.write("app.db", "page \(i)")
            Thread.sleep(forTimeInterval: 0.1)
        }
        try server.write("a.lua", Self.version("two"))
        waitUntil("the script's change is served") { (try? server.get("/a").text) == "two" }
        XCTAssertEqual(log.count(of: "nothing changed"), 0, log.messages.joined(separator: "\n"))
    }

    func testABrokenScriptKeepsItsOldVersionAloneAndIsLoggedOnce() throws {
        let log = LogCapture()
        let server = try TestServer(["a.lua": Self.version("good"), "b.lua": Self.version("b")], logger: log.logger)
        try server.write("a.lua", "return function(e, sr)\n  this is not lua\nend")
        try server.write("b.lua", Self.version("b2"))
        XCTAssertEqual(server.server.reload(), 2, "the valid save comes in")
        XCTAssertEqual(server.server.reload(), 2)
        XCTAssertEqual(try server.get("/a").text, "good", "the broken script keeps its last good version")
        XCTAssertEqual(try server.get("/b").text, "b2", "a broken file holds back only itself")
        XCTAssertEqual(log.count(of: "a.lua:2:"), 1, log.messages.joined(separator: "\n"))
        try server.write("a.lua", Self.version("fixed"))
        XCTAssertEqual(server.server.reload(), 3)
        XCTAssertEqual(try server.get("/a").text, "fixed")
        XCTAssertTrue(log.contains("generation 3 (changed a.lua)"), log.messages.joined(separator: "\n"))
        XCTAssertEqual(log.count(of: "a.lua loads again"), 1, "a fix is said: \(log.messages.joined(separator: "\n"))")
        XCTAssertEqual(log.count(of: "b.lua loads again"), 0, "only of a file that had failed")
    }

    func testUnderDevABrokenSaveAnswers500WithItsErrorAndAFixComesIn() throws {
        let log = LogCapture()
        let server = try TestServer(["a.lua": Self.version("good")], development: true, logger: log.logger)
        try server.write("a.lua", "return function(e, sr)\n  this is not lua\nend")
        XCTAssertEqual(server.server.reload(), 2, "served as saved")
        let broken = try server.get("/a")
        XCTAssertEqual(broken.code, 500)
        XCTAssertTrue(broken.text.contains("a.lua:2:") && broken.text.contains("syntax error"), broken.text)
        XCTAssertTrue(broken.text.contains(">    2 |   this is not lua") && broken.text.contains("     1 | return function(e, sr)"),
                      "the lines around the error: \(broken.text)")
        XCTAssertTrue(log.contains("served as saved (--dev)"), log.messages.joined(separator: "\n"))
        try server.write("a.lua", Self.version("fixed"))
        XCTAssertEqual(server.server.reload(), 3)
        XCTAssertEqual(try server.get("/a").text, "fixed")
    }

    func testAReloadWithNothingChangedSaysSo() throws {
        let log = LogCapture()
        let server = try TestServer(["a.lua": Self.version("a")], logger: log.logger)
        XCTAssertEqual(server.server.reload(), 1)
        XCTAssertTrue(log.contains("reload after a request to reload: nothing changed"), log.messages.joined(separator: "\n"))
    }

    func testANewScriptThatFailsToLoadAnswers500() throws {
        let log = LogCapture()
        let server = try TestServer(["a.lua": Self.version("a")], logger: log.logger)
        try server.write("new.lua", "error('broken at load')")
        try server.write("other.lua", Self.version("other"))
        server.server.reload()
        XCTAssertEqual(try server.get("/new").code, 500)
        XCTAssertEqual(try server.get("/other").text, "other")
        XCTAssertTrue(log.contains("broken at load"), log.messages.joined(separator: "\n"))
    }

    func testABrokenModuleHoldsBackOnlyItselfAndWhatFailsWithoutIt() throws {
        let server = try TestServer([
            "a.lua": #"local m = require("_lib.m"); return function(e, sr) sr(200, {}); return m.value end"#,
            "_lib/m.lua": #"return { value = "one" }"#,
            "b.lua": Self.version("b"),
        ])
        try server.write("_lib/m.lua", #"return { value = "#)
        try server.write("b.lua", Self.version("b2"))
        // a new script that needs a module that does not exist yet keeps failing alone
        try server.write("c.lua", #"local n = require("_lib.new"); return function(e, sr) sr(200, {}); return n end"#)
        server.server.reload()
        XCTAssertEqual(try server.get("/a").text, "one", "the old module keeps serving")
        XCTAssertEqual(try server.get("/b").text, "b2")
        XCTAssertEqual(try server.get("/c").code, 500)
        try server.write("_lib/m.lua", #"return { value = "two" }"#)
        try server.write("_lib/new.lua", #"return "new module""#)
        server.server.reload()
        XCTAssertEqual(try server.get("/a").text, "two", "a module change brings in every script that uses it")
        XCTAssertEqual(try server.get("/c").text, "new module")
    }

    func testNewDeletedAndRenamedFiles() throws {
        let server = try TestServer(["a.lua": Self.version("a"), "c.lua": Self.version("c")])
        try server.write("api/b.lua", Self.version("b"))
        server.server.reload()
        XCTAssertEqual(try server.get("/api/b").text, "b")
        try FileManager.default.removeItem(at: server.directory.appendingPathComponent("a.lua"))
        try FileManager.default.moveItem(at: server.directory.appendingPathComponent("c.lua"),
                                         to: server.directory.appendingPathComponent("d.lua"))
        server.server.reload()
        XCTAssertEqual(try server.get("/a").code, 404)
        XCTAssertEqual(try server.get("/c").code, 404)
        XCTAssertEqual(try server.get("/d").text, "c")
    }

    func testAChangedModuleCounts() throws {
        let server = try TestServer([
            "a.lua": #"local m = require("_lib.m"); return function(e, sr) sr(200, {}); return m.value end"#,
            "_lib/m.lua": #"return { value = "one" }"#,
        ], reload: .watch)
        XCTAssertEqual(try server.get("/a").text, "one")
        try server.write("_lib/m.lua", #"return { value = "two" }"#)
        XCTAssertNotNil(try waitFor(server, "/a", "two"))
        // A module that no longer compiles keeps its last good version.
        try server.write("_lib/m.lua", #"return { value = "#)
        server.server.reload()
        XCTAssertEqual(try server.get("/a").text, "two")
    }

    func testNoRequestFailsWhileAScriptIsRewrittenManyTimes() throws {
        let server = try TestServer(["a.lua": Self.version("v0")], workers: 2, pool: .init(initial: 1, maximum: 8, queue: 64), reload: .watch)
        let load = NIOLockedValueBox((done: false, failures: [String](), served: 0))
        let group = DispatchGroup()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                do {
                    let client = try server.client()
                    while !load.withLockedValue({ $0.done }) {
                        let response = try client.request("GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
                        load.withLockedValue {
                            $0.served += 1
                            if response.code != 200 || !response.text.hasPrefix("v") { $0.failures.append("\(response.code) \(response.text)") }
                        }
                    }
                } catch {
                    load.withLockedValue { $0.failures.append("\(error)") }
                }
            }
        }
        for i in 1...30 {
            try server.write("a.lua", Self.version("v\(i)"))
            Thread.sleep(forTimeInterval: 0.04)
        }
        XCTAssertNotNil(try waitFor(server, "/a", "v30"))
        load.withLockedValue { $0.done = true }
        group.wait()
        let (failures, served) = load.withLockedValue { ($0.failures, $0.served) }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(served, 100)
    }

    func testMemoryStaysFlatAcrossAThousandReloads() throws {
        let server = try TestServer(["a.lua": Self.version("r0")], pool: .init(initial: 2, maximum: 4, queue: 4))
        func residentKiB() -> Int { procStatusKiB("VmRSS") }
        var warm = 0
        for i in 1...1000 {
            try server.write("a.lua", Self.version("r\(i)"))
            XCTAssertEqual(server.server.reload(), i + 1)
            if i % 100 == 0 { XCTAssertEqual(try server.get("/a").text, "r\(i)") }
            if i == 100 { warm = residentKiB() }
        }
        let growth = Double(residentKiB() - warm) / 1024
        print("reload memory: RSS after 100 reloads \(warm) KiB, after 1000 \(warm + Int(growth * 1024)) KiB (+\(String(format: "%.1f", growth)) MiB)")
        XCTAssertLessThan(growth, 8, "old states are closed")
    }

    func testSIGHUPReloadsWithTheWatcherOff() throws {
        let server = try LuagwProcess(["a.lua": Self.version("before")], arguments: ["--reload", "signal"])
        func get() -> String? { (try? server.client().request("GET /a HTTP/1.1\r\nHost: t\r\n\r\n"))?.text }
        XCTAssertEqual(get(), "before")
        try server.write("a.lua", Self.version("after"))
        Thread.sleep(forTimeInterval: 1.2)
        XCTAssertEqual(get(), "before", "no watcher")
        kill(server.process.processIdentifier, SIGHUP)
        waitUntil("SIGHUP to bring in the new version") { get() == "after" }
    }
}
