import XCTest
@testable import LuaGateway

/// SPEC 2: the environ keys.
final class EnvironTests: XCTestCase {
    /// Answers `key=value` lines for the keys named in the query (`,`-separated).
    static let dump = #"""
        return function(e, sr)
          sr("200 OK", {})
          local out = {}
          for key in e.QUERY_STRING:gmatch("[^,]+") do
            local v = e[key]
            if type(v) == "table" then v = table.concat(v, ".") end
            out[#out + 1] = key .. "=" .. tostring(v)
          end
          return table.concat(out, "\n")
        end
        """#

    func values(_ response: Response) -> [String: String] {
        var result: [String: String] = [:]
        for line in response.text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }

    func testCGIKeys() throws {
        let server = try TestServer(["api/dump.lua": Self.dump])
        let keys = "REQUEST_METHOD,SCRIPT_NAME,PATH_INFO,QUERY_STRING,REQUEST_URI,SERVER_NAME,SERVER_PORT,SERVER_PROTOCOL,SERVER_SOFTWARE,GATEWAY_INTERFACE,REMOTE_ADDR,REMOTE_PORT,CONTENT_TYPE,CONTENT_LENGTH"
        let response = try server.client().request(
            "POST /api/dump/a%20b/c%2Fd?\(keys) HTTP/1.1\r\nHost: example.org:8443\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n")
        let env = values(response)
        XCTAssertEqual(env["REQUEST_METHOD"], "POST")
        XCTAssertEqual(env["SCRIPT_NAME"], "/api/dump")
        XCTAssertEqual(env["PATH_INFO"], "/a b/c/d")
        XCTAssertEqual(env["QUERY_STRING"], keys)
        XCTAssertEqual(env["REQUEST_URI"], "/api/dump/a%20b/c%2Fd?\(keys)")
        XCTAssertEqual(env["SERVER_NAME"], "example.org")
        XCTAssertEqual(env["SERVER_PORT"], "8443")
        XCTAssertEqual(env["SERVER_PROTOCOL"], "HTTP/1.1")
        XCTAssertEqual(env["SERVER_SOFTWARE"], "luagw/0.1.0")
        XCTAssertEqual(env["GATEWAY_INTERFACE"], "CGI/1.1")
        XCTAssertEqual(env["REMOTE_ADDR"], "127.0.0.1")
        XCTAssertNotEqual(env["REMOTE_PORT"], "nil")
        XCTAssertEqual(env["CONTENT_TYPE"], "text/plain")
        XCTAssertEqual(env["CONTENT_LENGTH"], "0")
    }

    func testTheServedDirectoryAndTheScriptsFileAreKnown() throws {
        let server = try TestServer([
            "api/dump.lua": Self.dump,
            "api/notes.txt": "beside the script",
            "api/beside.lua": #"""
                local here = ...  -- the script's file, at its top level
                local f = assert(io.open(here:match("^(.*)/") .. "/notes.txt"))
                local text = f:read("a"); f:close()
                return function(e, sr) sr(200, {}); return text end
                """#,
        ])
        let found = values(try server.get("/api/dump?DOCUMENT_ROOT,SCRIPT_FILENAME"))
        XCTAssertEqual(found["DOCUMENT_ROOT"], server.directory.path)
        XCTAssertEqual(found["SCRIPT_FILENAME"], server.directory.path + "/api/dump.lua")
        XCTAssertEqual(try server.get("/api/beside").text, "beside the script")
    }

    func testALargeHeadReachesEnvironWhole() throws {
        let server = try TestServer(["dump.lua": Self.dump])
        let big = String(repeating: "v", count: 6000), other = String(repeating: "w", count: 1500)
        for _ in 0..<2 {  // the second request reuses the grown arena
            let found = values(try server.get("/dump?HTTP_X_BIG,HTTP_X_OTHER,REQUEST_METHOD",
                                              headers: "X-Big: \(big)\r\nX-Other: \(other)\r\n"))
            XCTAssertEqual(found["HTTP_X_BIG"], big)
            XCTAssertEqual(found["HTTP_X_OTHER"], other)
            XCTAssertEqual(found["REQUEST_METHOD"], "GET")
        }
    }

    func testAbsentKeysAndDefaults() throws {
        let server = try TestServer(["dump.lua": Self.dump])
        let response = try server.client().request("GET /dump?CONTENT_TYPE,CONTENT_LENGTH,SERVER_NAME,SERVER_PORT,PATH_INFO HTTP/1.0\r\n\r\n")
        let env = values(response)
        XCTAssertEqual(env["CONTENT_TYPE"], "nil")
        XCTAssertEqual(env["CONTENT_LENGTH"], "nil")
        XCTAssertEqual(env["SERVER_NAME"], "127.0.0.1", "no Host: the listening address")
        XCTAssertEqual(env["SERVER_PORT"], String(server.port))
        XCTAssertEqual(env["PATH_INFO"], "")
        let host = values(try server.get("/dump?SERVER_NAME,SERVER_PORT", headers: ""))
        XCTAssertEqual(host["SERVER_NAME"], "test")
        XCTAssertEqual(host["SERVER_PORT"], "80")
    }

    func testHeadersBecomeHTTPKeys() throws {
        let server = try TestServer(["dump.lua": Self.dump])
        let response = try server.client().request(
            "GET /dump?HTTP_X_MULTI,HTTP_COOKIE,HTTP_X_SPOOF,HTTP_USER_AGENT,HTTP_CONTENT_TYPE HTTP/1.1\r\nHost: t\r\n" +
            "X-Multi: a\r\nX-Multi: b\r\nCookie: a=1\r\nCookie: b=2\r\nX_Spoof: evil\r\nUser-Agent: tester/1\r\n\r\n")
        let env = values(response)
        XCTAssertEqual(env["HTTP_X_MULTI"], "a, b")
        XCTAssertEqual(env["HTTP_COOKIE"], "a=1; b=2")
        XCTAssertEqual(env["HTTP_X_SPOOF"], "nil", "a name with _ is dropped")
        XCTAssertEqual(env["HTTP_USER_AGENT"], "tester/1")
        XCTAssertEqual(env["HTTP_CONTENT_TYPE"], "nil")
    }

    func testWSGIKeys() throws {
        let server = try TestServer(["dump.lua": Self.dump])
        let keys = "wsgi.version,wsgi.url_scheme,wsgi.input_terminated,wsgi.multithread,wsgi.multiprocess,wsgi.run_once,luagw.version"
        let env = values(try server.get("/dump?\(keys)"))
        XCTAssertEqual(env["wsgi.version"], "1.0")
        XCTAssertEqual(env["wsgi.url_scheme"], "http")
        XCTAssertEqual(env["wsgi.input_terminated"], "true")
        XCTAssertEqual(env["wsgi.multithread"], "true", "a state runs other requests while one waits")
        XCTAssertEqual(env["wsgi.multiprocess"], "true")
        XCTAssertEqual(env["wsgi.run_once"], "false")
        XCTAssertEqual(env["luagw.version"], "0.1.0")
        let alone = try TestServer(["dump.lua": Self.dump], pool: PoolLimits(requestsPerState: 1))
        XCTAssertEqual(values(try alone.get("/dump?wsgi.multithread"))["wsgi.multithread"], "false",
                       "--requests-per-state 1: a state runs one request at a time")
    }

    func testRequestIDIsUniqueOrHonoured() throws {
        let server = try TestServer(["dump.lua": Self.dump])
        let first = values(try server.get("/dump?luagw.request_id"))["luagw.request_id"]
        let second = values(try server.get("/dump?luagw.request_id"))["luagw.request_id"]
        XCTAssertNotNil(first)
        XCTAssertNotEqual(first, second)
        let given = values(try server.get("/dump?luagw.request_id", headers: "X-Request-Id: abc-123\r\n"))
        XCTAssertEqual(given["luagw.request_id"], "abc-123")
        let invalid = values(try server.get("/dump?luagw.request_id", headers: "X-Request-Id: a b<script>\r\n"))
        XCTAssertNotEqual(invalid["luagw.request_id"], "a b<script>")
    }

    func testEnvironIsFreshPerRequestAndErrorsWork() throws {
        let server = try TestServer(["mut.lua": #"""
            return function(e, sr)
              local before = tostring(e.MARK)
              e.MARK = "set"
              e["wsgi.errors"]:write("line one\npartial")
              e["wsgi.errors"]:writelines({" more", "\n"})
              e["wsgi.errors"]:flush()
              sr("200 OK", {})
              return before
            end
            """#], pool: .init(initial: 1, maximum: 1, queue: 4))
        XCTAssertEqual(try server.get("/mut").text, "nil")
        XCTAssertEqual(try server.get("/mut").text, "nil")
    }
}
