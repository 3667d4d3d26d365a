import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 9: WSAPI applications served unchanged. Debian's lua-wsapi (installed by scripts/test
/// under /usr/share/lua/5.2) is found through `--lua-path`, as a user would point luagw at it.
final class WSAPITests: XCTestCase {
    static let debianWSAPI = "/usr/share/lua/5.2"

    /// A server of `scripts` whose `require` finds Debian's WSAPI.
    static func server(_ scripts: [String: String], logger: LogCapture? = nil, limits: RequestLimits = RequestLimits(),
                       development: Bool = false) throws -> TestServer {
        guard FileManager.default.fileExists(atPath: debianWSAPI + "/wsapi/request.lua") else {
            throw XCTSkip("Debian's lua-wsapi is not installed: scripts/test installs it")
        }
        var lua = LuaLimits(runTime: 2)
        lua.luaPath = [debianWSAPI]
        return try TestServer(scripts, development: development, logger: logger?.logger, limits: limits, lua: lua)
    }

    static let environment = #"""
        return { run = function(env)
          local lines = {}
          for _, k in ipairs({ "NOT_SET", "PATH_INFO", "SCRIPT_NAME", "QUERY_STRING", "APP_PATH", "DOCUMENT_ROOT",
                               "SCRIPT_FILENAME", "PATH_TRANSLATED", "CONTENT_LENGTH" }) do
            lines[#lines + 1] = k .. "=" .. env[k]
          end
          lines[#lines + 1] = "input=" .. type(env.input.read) .. " error=" .. type(env.error.write)
          env.error:write("a line from the application\n")
          env.error:write("several ", "arguments, ", 3, " of them\n")
          return 200, { ["Content-Type"] = "text/plain" }, coroutine.wrap(function()
            coroutine.yield(table.concat(lines, "\n"))
          end)
        end }
        """#

    func testTheEnvironmentIsWSAPIs() throws {
        let log = LogCapture()
        let server = try Self.server(["env.lua": Self.environment], logger: log)
        func fields(_ path: String) throws -> [String: String] {
            let response = try server.get(path)
            XCTAssertEqual(response.code, 200, response.text)
            return Dictionary(uniqueKeysWithValues: response.text.split(separator: "\n").compactMap { line in
                line.firstIndex(of: "=").map { (String(line[..<$0]), String(line[line.index(after: $0)...])) }
            })
        }
        let root = try fields("/env")
        XCTAssertEqual(root["NOT_SET"], "", "undefined variables read as the empty string")
        XCTAssertEqual(root["PATH_INFO"], "/", "an empty PATH_INFO is /")
        XCTAssertEqual(root["SCRIPT_NAME"], "/env")
        XCTAssertEqual(root["CONTENT_LENGTH"], "")
        let documentRoot = try XCTUnwrap(root["DOCUMENT_ROOT"])
        XCTAssertTrue(documentRoot.hasSuffix(server.directory.lastPathComponent), documentRoot)
        XCTAssertEqual(root["APP_PATH"], documentRoot, "the directory of the script")
        XCTAssertEqual(root["SCRIPT_FILENAME"], documentRoot + "/env.lua")
        XCTAssertEqual(root["PATH_TRANSLATED"], documentRoot + "/")
        XCTAssertEqual(root["input"], "function error=function")
        let deeper = try fields("/env/a/b?x=1")
        XCTAssertEqual(deeper["PATH_INFO"], "/a/b")
        XCTAssertEqual(deeper["QUERY_STRING"], "x=1")
        XCTAssertEqual(deeper["PATH_TRANSLATED"], documentRoot + "/a/b")
        XCTAssertTrue(log.contains("a line from the application"), "env.error is wsgi.errors")
        XCTAssertTrue(log.contains("several arguments, 3 of them"), "write takes several arguments, as file:write does")
    }

    static let reader = #"""
        return { run = function(env)
          local first = env.input:read(tonumber(env.QUERY_STRING) or nil)
          local rest = env.input:read()
          local body = env.CONTENT_LENGTH .. "|" .. tostring(first) .. "|" .. tostring(rest)
          return 200, { ["Content-Type"] = "text/plain", ["Content-Length"] = #body },
            coroutine.wrap(function() coroutine.yield(body) end)
        end }
        """#

    func testInputReadsContentLengthBytesByDefaultAndAChunkedUploadGetsItsLength() throws {
        let server = try Self.server(["read.lua": Self.reader], limits: RequestLimits(maxBodyBytes: 64))
        let whole = try server.client().request("POST /read HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world")
        XCTAssertEqual(whole.text, "11|hello world|nil", "read() reads CONTENT_LENGTH bytes, then nothing is left")
        let part = try server.client().request("POST /read?5 HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world")
        XCTAssertEqual(part.text, "11|hello| world", "read(n) reads n; read() asks for the declared length again and gets the 6 left")
        let chunked = try server.client().request(
            "POST /read HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n")
        XCTAssertEqual(chunked.text, "11|hello world|nil", "a chunked upload is buffered so that CONTENT_LENGTH is set")
        let tooLong = try server.client().request(
            "POST /read HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n\(String(repeating: "x", count: 80))\r\n0\r\n\r\n")
        XCTAssertEqual(tooLong.code, 413, "buffered up to the body limit: \(tooLong.statusLine)")
        let empty = try server.get("/read")
        XCTAssertEqual(empty.text, "|nil|nil", "no body: nothing to read")
    }

    func testStatusesAndHeaderMapsBecomeTheResponse() throws {
        let server = try Self.server(["status.lua": #"""
            return { run = function(env)
              local status = ({ ["/number"] = 201, ["/digits"] = "202", ["/line"] = "299 Quite Fine" })[env.PATH_INFO]
              return status, { ["Content-Type"] = "text/plain", ["X-Many"] = { "one", "two", "three" }, ["X-Count"] = 3 },
                coroutine.wrap(function() coroutine.yield("a") coroutine.yield("b") end)
            end }
            """#])
        XCTAssertEqual(try server.get("/status/number").statusLine, "HTTP/1.1 201 Created")
        XCTAssertEqual(try server.get("/status/digits").statusLine, "HTTP/1.1 202 Accepted")
        let line = try server.get("/status/line")
        XCTAssertEqual(line.statusLine, "HTTP/1.1 299 Quite Fine")
        XCTAssertEqual(line.headers("X-Many"), ["one", "two", "three"], "an array value is sent as repeated fields")
        XCTAssertEqual(line.header("X-Count"), "3")
        XCTAssertEqual(line.text, "ab")
        XCTAssertEqual(line.header("Transfer-Encoding"), "chunked", "no Content-Length: streamed")
    }

    func testErrorWithAStatusAnswersItAndOtherErrorsKeepTheirTraceback() throws {
        let log = LogCapture()
        let server = try Self.server(["fail.lua": #"""
            local function deep(path)
              if path == "/404" then error({ 404, "nothing at <" .. path .. ">" }) end
              if path == "/403" then error({ 403 }) end
              if path == "/spin" then while true do end end
              error("an ordinary failure")
            end
            return { run = function(env) deep(env.PATH_INFO) end }
            """#], logger: log)
        let notFound = try server.get("/fail/404")
        XCTAssertEqual(notFound.code, 404)
        XCTAssertEqual(notFound.header("Content-Type"), "text/html")
        XCTAssertTrue(notFound.text.contains("<p>nothing at &lt;/404&gt;</p>"), notFound.text)
        XCTAssertEqual(try server.get("/fail/403").code, 403)
        let failed = try server.get("/fail/boom")
        XCTAssertEqual(failed.code, 500)
        let report = log.messages.first { $0.contains("an ordinary failure") } ?? ""
        XCTAssertTrue(report.contains("fail.lua:5: an ordinary failure"), report)
        XCTAssertTrue(report.contains("in upvalue 'deep'") || report.contains("in local 'deep'"),
                      "the traceback of where it was raised: \(report)")
        XCTAssertEqual(report.components(separatedBy: "stack traceback:").count, 2, "one traceback: \(report)")
        XCTAssertEqual(try server.get("/fail/spin").code, 504, "the run-time limit holds inside run")
        XCTAssertEqual(try server.get("/fail/404").code, 404, "the state replaced after the stop serves on")
    }

    func testHopByHopHeadersAreDroppedWithALogLine() throws {
        let log = LogCapture()
        let server = try Self.server(["framing.lua": #"""
            return { run = function(env)
              return 200, { ["Content-Type"] = "text/plain", Connection = "close", ["Keep-Alive"] = "timeout=5",
                            ["Content-Length"] = "2" }, coroutine.wrap(function() coroutine.yield("ok") end)
            end }
            """#], logger: log)
        let client = try server.client()
        for _ in 0..<3 {
            let response = try client.request("GET /framing HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(response.text, "ok")
            XCTAssertNil(response.header("Connection"), "the application's Connection: close is not sent")
            XCTAssertNil(response.header("Keep-Alive"))
        }
        XCTAssertEqual(log.count(of: "dropped the hop-by-hop header Connection"), 1, "said once: \(log.messages)")
        XCTAssertEqual(log.count(of: "dropped the hop-by-hop header Keep-Alive"), 1)
    }

    func testAnIteratorIsStreamedAsItComes() throws {
        // The second chunk waits for a flag that the test sets only after it has read the first.
        let server = try Self.server([
            "slow.lua": #"""
                return { run = function(env)
                  local shared = env.luagw.shared.wsapi
                  local i = 0
                  return 200, { ["Content-Type"] = "text/plain" }, function()
                    i = i + 1
                    if i == 1 then return "first|" end
                    if i == 2 then
                      while not shared:get("go") do env.luagw.sleep(0.01) end
                      shared:delete("go")
                      return "second"
                    end
                  end
                end }
                """#,
            "go.lua": #"""
                return { run = function(env)
                  env.luagw.shared.wsapi:set("go", true)
                  return 204, {}, function() end
                end }
                """#,
        ])
        let client = try server.client()
        try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.read(through: "first|")
        XCTAssertTrue(head.contains("Transfer-Encoding: chunked"), head)
        XCTAssertEqual(try server.get("/go").code, 204)
        XCTAssertTrue(try client.read(through: "\r\n0\r\n\r\n").contains("second"))
    }

    func testADeclaredSmallBodyIsOneWriteAndTheIteratorStillRunsToItsEnd() throws {
        let server = try Self.server(["counted.lua": #"""
            local finished = 0
            return { run = function(env)
              local report = "finished before: " .. finished
              return 200, { ["Content-Type"] = "text/plain", ["Content-Length"] = #report + 1 }, coroutine.wrap(function()
                coroutine.yield(report)
                coroutine.yield("\n")
                finished = finished + 1  -- after the last chunk: runs when the host asks for more
              end)
            end }
            """#])
        let client = try server.client()
        let first = try client.request("GET /counted HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(first.text, "finished before: 0\n")
        XCTAssertEqual(first.header("Content-Length"), "19")
        XCTAssertNil(first.header("Transfer-Encoding"))
        XCTAssertEqual(try client.request("GET /counted HTTP/1.1\r\nHost: t\r\n\r\n").text, "finished before: 1\n")
    }

    func testAFunctionOfOneParameterIsAUWSGILuaApplication() throws {
        let server = try Self.server(["uwsgi_style.lua": #"""
            return function(env)
              return 200, { ["Content-Type"] = "text/plain" }, coroutine.wrap(function()
                coroutine.yield("uWSGI style on " .. env.PATH_INFO)
              end)
            end
            """#])
        XCTAssertEqual(try server.get("/uwsgi_style/x").text, "uWSGI style on /x")
    }

    func testDebianWSAPIHelpersServeRequestsLuagwReceives() throws {
        let server = try Self.server(try WSAPIApps.scripts(["params", "cookies", "redirect"]))
        let get = try server.get("/params/list?name=bob&n=2")
        XCTAssertEqual(get.text, "GET /list\nGET n=2\nGET name=bob\nPOST post_data=\n")
        let form = "a=1&b=two+words"
        let post = try server.client().request(
            "POST /params HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)")
        XCTAssertEqual(post.text, "POST /\nPOST a=1\nPOST b=two words\n")
        let multipart = WSAPIApps.multipartBody
        let upload = try server.client().request(
            "POST /params/up HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=\(WSAPIApps.boundary)\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(multipart.utf8.count, radix: 16) + "\r\n" + multipart + "\r\n0\r\n\r\n")
        XCTAssertEqual(upload.text, "POST /up\nFILE notes notes.txt 12 hello, file!\nPOST title=My notes\n",
                       "a chunked multipart upload, buffered for wsapi.request")
        let cookies = try server.get("/cookies", headers: "Cookie: visits=41; other=x\r\n")
        XCTAssertEqual(cookies.text, "visits before: 41\n")
        XCTAssertEqual(Set(cookies.headers("Set-Cookie").map { String($0.prefix(while: { $0 != "=" })) }),
                       ["visits", "flavour", "old"])
        XCTAssertTrue(cookies.headers("Set-Cookie").contains("visits=42; path=/"), "\(cookies.headers("Set-Cookie"))")
        let redirect = try server.get("/redirect/here")
        XCTAssertEqual(redirect.code, 302)
        XCTAssertEqual(redirect.header("Location"), "/elsewhere?from=/here")
    }

    func testTheAdaptedApplicationsKeepTheContractLintChecks() throws {
        let log = LogCapture()
        let server = try Self.server(try WSAPIApps.scripts(["params", "cookies", "redirect", "stream", "hello"]),
                                     logger: log, development: true)
        for path in ["/params/x?a=1", "/cookies", "/redirect/r", "/stream", "/hello"] {
            XCTAssertLessThan(try server.get(path).code, 400, path)
        }
        XCTAssertFalse(log.contains("lint:"), "\(log.messages.filter { $0.contains("lint:") })")
    }

    func testDebianWSAPIUtilReadsTheBodyTwiceAndEscapes() throws {
        let server = try Self.server(["util.lua": #"""
            local util = require "wsapi.util"
            return { run = function(env)
              local rewindable = util.make_rewindable(env)
              local length = tonumber(env.CONTENT_LENGTH)
              local first = rewindable.input:read(length)
              rewindable.input:rewind()
              local again = rewindable.input:read(length)
              local body = util.sanitize(util.url_decode(first)) .. "|" .. tostring(first == again) .. "|"
                .. util.url_encode("a b&c") .. "|" .. rewindable.REQUEST_METHOD
              return 200, { ["Content-Type"] = "text/plain" }, coroutine.wrap(function() coroutine.yield(body) end)
            end }
            """#])
        let response = try server.client().request("POST /util HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nx%3Cy%3E+z")
        XCTAssertEqual(response.text, "x&lt;y&gt; z|true|a+b%26c|POST")
    }

    func testTheCommandLineFlagsReachEveryState() throws {
        let bad = try LuagwProcess.run(["serve", ".", "--lua-path", "/nonexistent/lua"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("--lua-path: /nonexistent/lua is not a directory"), bad.err)
        let process = try LuagwProcess(["app.lua": #"""
            local request = require "wsapi.request"
            return { run = function(env)
              local a, b = unpack({ request.new(env).GET.who, package.cpath:match("^/tmp/%?%.so;") ~= nil })
              return 200, { ["Content-Type"] = "text/plain" }, coroutine.wrap(function()
                coroutine.yield(a .. " " .. tostring(b))
              end)
            end }
            """#], arguments: ["--lua-path", Self.debianWSAPI, "--lua-cpath", "/tmp", "--compat51"])
        let response = try process.client().request("GET /app?who=world HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(response.code, 200, response.text)
        XCTAssertEqual(response.text, "world true")
    }
}
