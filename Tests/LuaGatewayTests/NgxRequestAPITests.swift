import Foundation
import XCTest
@testable import LuaGateway

/// luagw.ngx's request API and `require("luagw.ngx").app(...)`: OpenResty content handlers served
/// by luagw, each call checked against what OpenResty does (the values were read off nginx + Lua).
final class NgxRequestAPITests: XCTestCase {
    /// A script serving `handler` (the body of an OpenResty content handler) through luagw.ngx.app.
    static func app(_ handler: String) -> String {
        """
        local ngx = require "luagw.ngx"
        return ngx.app(function()
        \(handler)
        end)
        """
    }

    func testSayPrintRenderValuesAsOpenResty() throws {
        let server = try TestServer(["say.lua": Self.app("""
            ngx.say(1, 1.5, 2^53, 0.1, true, nil, ngx.null, {"a", {"b", 3}}, -0.0, 1e300, 1/0)
            ngx.print("x", 3)
            ngx.say()
            ngx.say(select(2, pcall(ngx.say, {a = 1})))
            ngx.say(select(2, pcall(ngx.say, print)))
            ngx.say(select(2, pcall(ngx.print, {print})))
            ngx.say(ngx.say(""))
            """)])
        let response = try server.get("/say")
        XCTAssertEqual(response.code, 200)
        XCTAssertEqual(response.header("Content-Type"), "text/plain", "nginx's default type")
        XCTAssertEqual(response.text, """
            11.59.007199254741e+150.1truenilnullab301e+300inf
            x3
            bad argument #1 to 'say' (non-array table found)
            bad argument #1 to 'say' (string, number, boolean, nil, ngx.null, or array table expected, but got function)
            bad argument #1 to 'print' (bad data type function found)

            1

            """)
    }

    func testVariablesAndRequestCalls() throws {
        let server = try TestServer(["api.lua": Self.app("""
            for _, k in ipairs{"uri", "args", "request_uri", "request_method", "host", "scheme", "content_type",
                               "content_length", "http_x_y", "HTTP_X_Y", "cookie_c", "cookie_C", "arg_b", "arg_B",
                               "arg_flag", "is_args", "nosuch"} do
              ngx.say(k, "=", tostring(ngx.var[k]))
            end
            ngx.say(ngx.var.remote_addr == "127.0.0.1", " ", ngx.var.server_port == ngx.req.get_headers().host:match(":(%d+)$"))
            local args, err = ngx.req.get_uri_args()
            local keys = {}
            for k in pairs(args) do keys[#keys + 1] = k end
            table.sort(keys)
            for _, k in ipairs(keys) do
              local v = args[k]
              ngx.say("arg ", k, "=", type(v) == "table" and table.concat(v, "|") or tostring(v))
            end
            local two, truncated = ngx.req.get_uri_args(2)
            ngx.say(truncated, " ", two.a)
            local h = ngx.req.get_headers()
            ngx.say(h["X-Y"], " ", h.x_y, " ", h["content-type"], " ", h.Content_Type)
            ngx.say(ngx.req.get_method(), " ", ngx.req.http_version(), " ", type(ngx.req.start_time()))
            ngx.say(tostring(ngx.req.get_body_data()), " ", (select(2, pcall(ngx.req.get_post_args))))
            ngx.req.read_body()
            local form = ngx.req.get_post_args()
            ngx.say(ngx.req.get_body_data(), " ", form.x[1], form.x[2], " ", form.y, " ", tostring(form.z))
            ngx.say((select(2, pcall(function() ngx.var.uri = "/x" end))):match("variable.*"))
            ngx.var.mine = 5
            ngx.say(ngx.var.mine)
            """)])
        let body = "x=1&y=%41+b&x=2&z"
        let response = try server.client().request("""
            POST /api/p%20q?a=1&b=%41+c&b=2&flag&=x&e= HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nX-Y: 1\r\n\
            Cookie: c=v1; d=2\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)
            """)
        XCTAssertEqual(response.code, 200, response.text)
        XCTAssertEqual(response.text, """
            uri=/api/p q
            args=a=1&b=%41+c&b=2&flag&=x&e=
            request_uri=/api/p%20q?a=1&b=%41+c&b=2&flag&=x&e=
            request_method=POST
            host=127.0.0.1
            scheme=http
            content_type=application/x-www-form-urlencoded
            content_length=17
            http_x_y=1
            HTTP_X_Y=1
            cookie_c=v1
            cookie_C=v1
            arg_b=%41+c
            arg_B=%41+c
            arg_flag=nil
            is_args=?
            nosuch=nil
            true true
            arg a=1
            arg b=A c|2
            arg e=
            arg flag=true
            truncated 1
            1 1 application/x-www-form-urlencoded application/x-www-form-urlencoded
            POST 1.1 number
            nil no request body found; maybe you should turn on lua_need_request_body?
            x=1&y=%41+b&x=2&z 12 A b true
            variable "uri" not changeable
            5

            """)
    }

    func testResponseHeadersAsOpenRestyKeepsThem() throws {
        let server = try TestServer(["h.lua": Self.app("""
            ngx.say(ngx.status, " ", tostring(ngx.headers_sent))
            """), "h2.lua": Self.app("""
            ngx.status = 201
            ngx.header.x_a = "1"
            ngx.header["X-B"] = {"1", "2"}
            ngx.header.content_type = "text/x"
            local t = {"a=1"}
            ngx.header["Set-Cookie"] = t
            t[1] = "changed"   -- the header kept a copy
            local read = ngx.header["x-b"]
            read[1] = "changed too"  -- a copy as well
            ngx.header.x_gone = "1"
            ngx.header.X_Gone = nil
            ngx.header.x_empty = {}
            ngx.say(type(ngx.header["x-b"]), " ", ngx.header.X_A, " ", ngx.header["set-cookie"], " ", tostring(ngx.headers_sent))
            ngx.header.x_late = "late"
            ngx.status = 500
            ngx.say(tostring(ngx.headers_sent), " ", tostring(ngx.header.x_late), " ", ngx.status)
            """)])
        XCTAssertEqual(try server.get("/h").text, "0 false\n", "before the first output: status 0, headers not sent")
        let response = try server.get("/h2")
        XCTAssertEqual(response.code, 201)
        XCTAssertEqual(response.header("Content-Type"), "text/x")
        XCTAssertEqual(response.headers("x-a"), ["1"])
        XCTAssertEqual(response.headers("X-B"), ["1", "2"])
        XCTAssertEqual(response.headers("Set-Cookie"), ["a=1"])
        XCTAssertNil(response.header("X-Gone"))
        XCTAssertNil(response.header("X-Empty"))
        XCTAssertNil(response.header("X-Late"), "a header set after the output started is refused")
        XCTAssertEqual(response.text, "table 1 a=1 false\ntrue nil 201\n")
    }

    func testExitAndRedirectAnswerAsNginxDoes() throws {
        let server = try TestServer(["e.lua": Self.app("""
            local code = tonumber(ngx.var.arg_code)
            if ngx.var.arg_say then ngx.say("said") end
            ngx.header["X-Foo"] = "bar"
            if ngx.var.arg_redirect then return ngx.redirect("/elsewhere?x=1", code) end
            local ok = pcall(ngx.exit, code)   -- a pcall does not stop it
            ngx.say("not reached")
            """)])
        let notFound = try server.get("/e?code=404")
        XCTAssertEqual(notFound.statusLine, "HTTP/1.1 404 Not Found")
        XCTAssertEqual(notFound.header("Content-Type"), "text/html")
        XCTAssertEqual(notFound.header("X-Foo"), "bar", "nginx keeps the handler's headers on its page")
        XCTAssertEqual(notFound.text, "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
            + "<center><h1>404 Not Found</h1></center>\r\n<hr><center>luagw</center>\r\n</body>\r\n</html>\r\n")
        let teapot = try server.get("/e?code=418")
        XCTAssertEqual(teapot.code, 418)
        XCTAssertNil(teapot.header("Content-Type"), "no page for 418: no type, no body")
        XCTAssertEqual(teapot.text, "")
        let noContent = try server.get("/e?code=204")
        XCTAssertEqual(noContent.code, 204)
        XCTAssertNil(noContent.header("Content-Type"))
        for code in [0, 200, 201] {
            let ended = try server.get("/e?code=\(code)")
            XCTAssertEqual(ended.code, code == 0 ? 200 : code)
            XCTAssertEqual(ended.header("Content-Type"), "text/plain")
            XCTAssertEqual(ended.text, "")
        }
        let afterOutput = try server.get("/e?code=404&say=1")
        XCTAssertEqual(afterOutput.code, 200, "after output, ngx.exit ends the body")
        XCTAssertEqual(afterOutput.text, "said\n")
        let redirect = try server.get("/e?redirect=1")
        XCTAssertEqual(redirect.statusLine, "HTTP/1.1 302 Moved Temporarily")
        XCTAssertEqual(redirect.header("Location"), "/elsewhere?x=1")
        XCTAssertTrue(redirect.text.contains("<center><h1>302 Found</h1></center>"))
        XCTAssertEqual(try server.get("/e?redirect=1&code=301").code, 301)
    }

    func testExit444ClosesTheConnectionWithoutAResponse() throws {
        let server = try TestServer(["close.lua": Self.app("""
            if ngx.var.arg_say then ngx.say("started"); ngx.flush() end
            return ngx.exit(ngx.var.arg_error and ngx.ERROR or 444)
            """), "ok.lua": Self.app("ngx.say('ok')")])
        for query in ["", "?error=1"] {
            let client = try server.client()
            try client.send("GET /close\(query) HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(try client.readToEnd(), [], "no response at all")
        }
        let cut = try server.client()
        try cut.send("GET /close?say=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        let bytes = String(decoding: try cut.readToEnd(), as: UTF8.self)
        XCTAssertTrue(bytes.hasPrefix("HTTP/1.1 200 OK"), bytes)
        XCTAssertTrue(bytes.contains("started\n"), bytes)
        XCTAssertFalse(bytes.hasSuffix("0\r\n\r\n"), "the chunked body is cut: \(bytes)")
        XCTAssertEqual(try server.get("/ok").text, "ok\n")
    }

    func testExit444ResetsAnHTTP2StreamOnly() throws {
        let server = try TestServer(["close.lua": Self.app("return ngx.exit(444)"), "ok.lua": Self.app("ngx.say('ok')")])
        let result = try H2Client.get(port: server.port, paths: ["/close", "/ok"])
        XCTAssertNotNil(result.answers["/close"]?["reset"], "\(result.answers)")
        XCTAssertNil(result.answers["/close"]?["status"], "no response on the stream")
        XCTAssertEqual(result.answers["/ok"]?["status"], "200", "the connection's other stream is answered")
        XCTAssertEqual(result.answers["/ok"]?["body"], "ok\n")
    }

    func testSayStreamsWhatAFlushSends() throws {
        let server = try TestServer(["stream.lua": Self.app("""
            ngx.say("first")
            ngx.flush(true)
            local go = ngx.shared.stream
            for _ = 1, 20000 do
              if go:get("go") then break end
              ngx.sleep(0.005)
            end
            ngx.say("second")
            """), "go.lua": Self.app("ngx.shared.stream:set('go', true); ngx.say('went')")])
        let client = try server.client()
        try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.read(through: "first\n")
        XCTAssertTrue(head.contains("Transfer-Encoding: chunked"), head)
        XCTAssertEqual(try server.get("/go").text, "went\n")
        XCTAssertTrue(try client.read(through: "0\r\n\r\n").contains("second\n"))
    }

    func testCtxBelongsToEachRequest() throws {
        let server = try TestServer(["ctx.lua": Self.app("""
            local me = ngx.var.arg_me
            ngx.ctx.me = me
            local seen = ngx.shared.ctx
            seen:incr("started", 1, 0)
            for _ = 1, 20000 do
              if seen:get("started") >= 2 then break end
              ngx.sleep(0.005)
            end
            ngx.say(ngx.ctx.me)
            """)])
        let a = try server.client(), b = try server.client()
        try a.send("GET /ctx?me=a HTTP/1.1\r\nHost: t\r\n\r\n")
        try b.send("GET /ctx?me=b HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try a.readResponse().text, "a\n")
        XCTAssertEqual(try b.readResponse().text, "b\n")
    }

    func testTheHandlerEndsWhenItsLightThreadsHaveFinished() throws {
        let server = try TestServer(["threads.lua": Self.app("""
            ngx.thread.spawn(function()
              ngx.sleep(0.01)
              ngx.say("thread")
            end)
            ngx.say("main")
            """)])
        XCTAssertEqual(try server.get("/threads").text, "main\nthread\n")
    }

    func testAFileHandlerRunsPerRequestAndErrorsAre500s() throws {
        let log = LogCapture()
        let server = try TestServer([
            "_handlers/count.lua": """
                ngx.say("uri ", ngx.var.uri)  -- the chunk's top level runs per request
                if ngx.var.arg_fail then error("boom") end
                """,
            "count.lua": "return require('luagw.ngx').app('_handlers/count.lua')",
        ], logger: log.logger)
        XCTAssertEqual(try server.get("/count").text, "uri /count\n")
        XCTAssertEqual(try server.get("/count/more").text, "uri /count/more\n")
        let failed = try server.get("/count?fail=1")
        XCTAssertEqual(failed.code, 500)
        waitUntil("the error logged") { log.contains("_handlers/count.lua:2: boom") && log.contains("stack traceback") }
        XCTAssertEqual(try server.get("/count").text, "uri /count\n", "the next request runs")
    }

    /// A handler stopped by the run-time limit is luagw's 504; the handlers after it run (and are
    /// stopped) as well: no request inherits a stopped one's coroutine.
    func testTheRunTimeLimitStopsAHandler() throws {
        let server = try TestServer(["spin.lua": Self.app("""
            if ngx.var.arg_spin then while true do end end
            ngx.say("ok")
            """)], lua: LuaLimits(runTime: 0.3))
        for _ in 0..<2 {
            XCTAssertEqual(try server.get("/spin?spin=1").code, 504)
            XCTAssertEqual(try server.get("/spin").text, "ok\n")
        }
    }
}
