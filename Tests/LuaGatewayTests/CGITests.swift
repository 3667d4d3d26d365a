import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SPEC 6: `luagw cgi FILE.lua` under a real CGI host (lighttpd with mod_cgi, from Debian's
/// packages; scripts/test installs it), started on loopback by the test and stopped by it.
final class CGITests: XCTestCase {
    static let app = #"""
        return function(e, sr)
          local body = e["wsgi.input"]:read()
          sr("200 OK", {{"Content-Type", "text/plain"}, {"X-Run-Once", tostring(e["wsgi.run_once"])}})
          return table.concat({ e.REQUEST_METHOD, e.SCRIPT_NAME, e.PATH_INFO, e.QUERY_STRING,
                                tostring(e.HTTP_X_TEST), "[" .. body .. "]" }, " ")
        end
        """#

    func testGetAndPostUnderLighttpd() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/lighttpd") else {
            throw XCTSkip("lighttpd is not installed: run scripts/test")
        }
        let binary = URL(fileURLWithPath: try LuagwProcess.binary()).standardizedFileURL.path
        let scratch = try ScratchDirectory("luagw-cgi")
        defer { scratch.remove() }
        let directory = scratch.url
        try scratch.write("app.lua", Self.app)
        let wrapper = try scratch.write("luagw-cgi", "#!/bin/sh\nexec \(binary) cgi \"$1\"\n")
        chmod(wrapper.path, 0o755)
        let port = Int.random(in: 21000..<41000)
        let config = try scratch.write("lighttpd.conf", """
            server.document-root = "\(directory.path)"
            server.bind = "127.0.0.1"
            server.port = \(port)
            server.modules = ("mod_cgi")
            cgi.assign = (".lua" => "\(wrapper.path)")
            server.errorlog = "\(directory.path)/error.log"
            """)
        let lighttpd = Process()
        lighttpd.executableURL = URL(fileURLWithPath: "/usr/sbin/lighttpd")
        lighttpd.arguments = ["-D", "-f", config.path]
        try lighttpd.run()
        defer { lighttpd.terminate(); lighttpd.waitUntilExit() }
        waitUntil("lighttpd to listen") { (try? RawClient(port: port)) != nil }

        let get = try RawClient(port: port).request("GET /app.lua/a/b?x=1 HTTP/1.1\r\nHost: t\r\nX-Test: hi\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(get.code, 200, (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? "")
        XCTAssertEqual(get.text, "GET /app.lua /a/b x=1 hi []")
        XCTAssertEqual(get.header("X-Run-Once"), "true")
        let post = try RawClient(port: port).request(
            "POST /app.lua HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world")
        XCTAssertEqual(post.text, "POST /app.lua   nil [hello world]")
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
