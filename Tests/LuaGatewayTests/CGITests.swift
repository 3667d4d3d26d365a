import Foundation
import XCTest

/// SPEC 6: `luagw cgi FILE.lua` under a real CGI host (lighttpd with mod_cgi, from Debian's
/// packages; scripts/test installs it, configured as docs/cgi.md prints it), started on loopback by
/// the test and stopped by it.
final class CGITests: XCTestCase {
    static let app = #"""
        return function(e, sr)
          local body = e["wsgi.input"]:read()
          sr("200 OK", {{"Content-Type", "text/plain"}, {"X-Run-Once", tostring(e["wsgi.run_once"])}})
          return table.concat({ e.REQUEST_METHOD, e.SCRIPT_NAME, e.PATH_INFO, e.QUERY_STRING,
                                tostring(e.HTTP_X_TEST), "[" .. body .. "]" }, " ")
        end
        """#

    func testGetAndPostUnderTheDocumentedLighttpd() throws {
        let scratch = try ScratchDirectory("luagw-cgi")
        defer { scratch.remove() }
        try scratch.write("app/app.lua", Self.app)
        let lighttpd = try DocumentedLighttpd.start(in: scratch)
        defer { lighttpd.process.terminate(); lighttpd.process.waitUntilExit() }

        let get = try ask(lighttpd.port, "GET /app.lua/a/b?x=1 HTTP/1.1\r\nX-Test: hi")
        XCTAssertEqual(get.code, 200, (try? String(contentsOf: lighttpd.logs.appendingPathComponent("breakage.log"), encoding: .utf8)) ?? "")
        XCTAssertEqual(get.text, "GET /app.lua /a/b x=1 hi []")
        XCTAssertEqual(get.header("X-Run-Once"), "true")
        let post = try ask(lighttpd.port, "POST /app.lua HTTP/1.1\r\nContent-Length: 11", body: "hello world")
        XCTAssertEqual(post.text, "POST /app.lua   nil [hello world]")
        try scratch.write("app/_lib/helper.lua", Self.app)
        XCTAssertEqual(try ask(lighttpd.port, "GET /_lib/helper.lua HTTP/1.1").code, 403, "a helper is not run")
    }

    /// The request `head` (its line and fields but Host), then `body`, on a connection of its own.
    private func ask(_ port: Int, _ head: String, body: String = "") throws -> Response {
        try RawClient(port: port).request(head + "\r\nHost: t\r\nConnection: close\r\n\r\n" + body)
    }

    /// As docs/cgi.md says: the 500 names the request id, and the traceback is in lighttpd's
    /// breakage log (the programs' standard error) with that id.
    func testAFailuresTracebackIsInLighttpdsBreakageLogWithTheRequestID() throws {
        let scratch = try ScratchDirectory("luagw-cgi")
        defer { scratch.remove() }
        try scratch.write("app/broken.lua", #"""
            return function(e, sr)
              e["wsgi.errors"]:write("a note\n")
              error("broken on purpose")
            end
            """#)
        let lighttpd = try DocumentedLighttpd.start(in: scratch)
        defer { lighttpd.process.terminate(); lighttpd.process.waitUntilExit() }

        let failed = try ask(lighttpd.port, "GET /broken.lua HTTP/1.1")
        XCTAssertEqual(failed.code, 500)
        let id = try XCTUnwrap(failed.header("X-Request-Id"))
        XCTAssertTrue(id.hasPrefix("cgi-"), id)
        XCTAssertEqual(failed.text, "Internal Server Error (request id \(id): the log says more)\n")
        var log = ""
        waitUntil("the traceback in lighttpd's breakage log") {
            log = (try? String(contentsOf: lighttpd.logs.appendingPathComponent("breakage.log"), encoding: .utf8)) ?? ""
            return log.contains("in local 'app'")
        }
        XCTAssertTrue(log.contains("error luagw-cgi: request_id=\(id) [LuaGateway] \(scratch.path)/app/broken.lua: "), log)
        XCTAssertTrue(log.contains("/app/broken.lua:3: broken on purpose\nstack traceback:"), log)
        XCTAssertTrue(log.contains("notice luagw-cgi: request_id=\(id) [app /] a note"), log)
        let errorLog = try String(contentsOf: lighttpd.logs.appendingPathComponent("error.log"), encoding: .utf8)
        XCTAssertFalse(errorLog.contains("broken on purpose"), "lighttpd's own log has none of it: \(errorLog)")
    }

    /// Runs `source` as `luagw cgi [arguments]` for a GET with `query`; returns its standard
    /// output, standard error and exit status.
    private func runCGI(_ source: String, arguments: [String] = [], query: String = "") throws
        -> (out: String, err: String, status: Int32) {
        let scratch = try ScratchDirectory("luagw-cgi")
        defer { scratch.remove() }
        let script = try scratch.write("app.lua", source)
        let result = try LuagwProcess.run(["cgi"] + arguments + [script.path],
                                          environment: ["REQUEST_METHOD": "GET", "PATH_INFO": "", "QUERY_STRING": query])
        return (result.out, result.err, result.status)
    }

    func testErrorsAre500WithTheTracebackOnStandardError() throws {
        let (out, err, status) = try runCGI(#"return function(e, sr) error("broken on purpose") end"#)
        XCTAssertTrue(out.hasPrefix("Status: 500 Internal Server Error\r\n"), out)
        XCTAssertTrue(err.contains("app.lua:1: broken on purpose") && err.contains("stack traceback"), err)
        XCTAssertNotEqual(status, 0)
    }

    func testWSGIErrorsReachStandardError() throws {
        let (out, err, status) = try runCGI(#"""
            return function(e, sr)
              e["wsgi.errors"]:write("a whole line\n")
              e["wsgi.errors"]:write("a partial line")
              e["wsgi.errors"]:flush()
              sr("200 OK", {}); return "ok"
            end
            """#)
        XCTAssertTrue(out.hasPrefix("Status: 200 OK\r\n"), out)
        XCTAssertTrue(err.contains("a whole line"), err)
        XCTAssertTrue(err.contains("a partial line"), err)
        XCTAssertEqual(status, 0)
    }

    func testAnApplicationThatSleepsRunsAsACGIProgram() throws {
        let (out, _, status) = try runCGI(#"""
            local luagw = require "luagw"
            return function(e, sr)
              luagw.sleep(0.01)
              sr("200 OK", {}); return "slept " .. e.GATEWAY_INTERFACE
            end
            """#)
        XCTAssertTrue(out.hasPrefix("Status: 200 OK\r\n"), out)
        XCTAssertTrue(out.hasSuffix("slept CGI/1.1"), out)
        XCTAssertEqual(status, 0)
    }

    /// `--ca-file` (SPEC 11, repeatable, as serve's): a script's https: calls trust its
    /// authorities; without it the peer's throwaway authority is unknown; a bad file is a 500
    /// naming it.
    func testCAFileIsTrustedByTheScriptsHTTPSCalls() throws {
        let peer = try TLSPeer()
        let other = try TestCertificates()  // another authority, first in the list
        let source = #"""
            local http = require "luagw.http"
            return function(e, sr)
              local res, err = http.request("https://localhost:" .. e.QUERY_STRING .. "/cgi", { timeout = 30 })
              sr("200 OK", {}); return res and res.body or "nil " .. err
            end
            """#
        let query = "\(peer.port)"
        let trusted = try runCGI(source, arguments: ["--ca-file", other.authority, "--ca-file", peer.caFile], query: query)
        XCTAssertTrue(trusted.out.hasPrefix("Status: 200 OK\r\n"), trusted.out + trusted.err)
        XCTAssertTrue(trusted.out.hasSuffix("\r\n\r\nconnection 1 /cgi"), trusted.out)
        let untrusted = try runCGI(source, query: query)
        XCTAssertTrue(untrusted.out.hasSuffix("\r\n\r\nnil certificate verify failed: not issued by a trusted authority, or expired"),
                      untrusted.out)
        let missing = other.path("none.pem")
        let bad = try runCGI(source, arguments: ["--ca-file", missing], query: query)
        XCTAssertTrue(bad.out.hasPrefix("Status: 500 Internal Server Error\r\n"), bad.out)
        XCTAssertTrue(bad.err.contains("--ca-file \(missing): not a readable PEM file"), bad.err)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(try LuagwProcess.run(["cgi", "--help"], mergingErrors: true).out.contains("--ca-file"))
    }
}
