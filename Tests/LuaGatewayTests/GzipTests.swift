import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 8's `luagw.web.gzip` and `luagw.web.filter`: answers decompressed by the system's gzip
/// and compared; what is left alone (small, encoded, refused, images, HEAD); a 100 MiB stream
/// compressed in bounded memory by a real luagw process; a filter over a streamed body.
final class GzipTests: XCTestCase {
    static let app = #"""
        local gzip = require "luagw.web.gzip"
        local text = string.rep("The quick brown fox jumps over the lazy dog. ", 200)
        return gzip(function(environ, start_response)
          local kind = environ.QUERY_STRING
          if kind == "small" then
            start_response("200 OK", { { "Content-Type", "text/plain" } }); return "tiny"
          elseif kind == "image" then
            start_response("200 OK", { { "Content-Type", "image/png" } }); return text
          elseif kind == "encoded" then
            start_response("200 OK", { { "Content-Type", "text/plain" }, { "Content-Encoding", "br" } }); return text
          elseif kind == "stream" then
            start_response("200 OK", { { "Content-Type", "text/html; charset=utf-8" }, { "ETag", '"v1"' } })
            local i = 0
            return function() i = i + 1; if i <= 5 then return text end end
          end
          start_response("200 OK", { { "Content-Type", "text/plain" }, { "Vary", "Cookie" } })
          return text
        end, { min_size = 100 })
        """#

    static let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 200)

    /// `bytes` through `gzip -dc` (from a file: a pipe both ways would fill up).
    func gunzip(_ bytes: [UInt8]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-gzip-\(UUID().uuidString).gz")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "gzip -dc accepts the body")
        return String(decoding: data, as: UTF8.self)
    }

    /// docs/middleware.md's recipe for static files with gzip, run as printed there.
    func testTheDocumentedStaticFilesWithGzipRecipe() throws {
        let recipe = try DocumentedPages.block(in: "docs/middleware.md", containing: "-- assets.lua (a folder next to it").source
        let server = try TestServer(["assets.lua": recipe, "_assets/app.js": Self.text])
        let response = try server.get("/assets/app.js", headers: "Accept-Encoding: gzip\r\n")
        XCTAssertEqual(response.code, 200)
        XCTAssertEqual(response.header("Content-Encoding"), "gzip")
        XCTAssertEqual(response.header("Cache-Control"), "max-age=3600")
        XCTAssertEqual(try gunzip(response.body), Self.text)
        XCTAssertEqual(try server.get("/assets/missing.js").code, 404)
    }

    func testAWholeBodyAndAStreamAreCompressed() throws {
        let server = try TestServer(["g.lua": Self.app])
        let whole = try server.get("/g", headers: "Accept-Encoding: br, gzip;q=0.8\r\n")
        XCTAssertEqual(whole.header("Content-Encoding"), "gzip")
        XCTAssertEqual(whole.header("Vary"), "Cookie, Accept-Encoding")
        XCTAssertLessThan(whole.body.count, Self.text.utf8.count / 10)
        XCTAssertEqual(try gunzip(whole.body), Self.text)
        let stream = try server.get("/g?stream", headers: "Accept-Encoding: gzip\r\n")
        XCTAssertEqual(stream.header("Transfer-Encoding"), "chunked")
        XCTAssertEqual(stream.header("ETag"), "W/\"v1\"", "a strong ETag is weakened")
        XCTAssertEqual(stream.header("Vary"), "Accept-Encoding")
        XCTAssertEqual(try gunzip(stream.body), String(repeating: Self.text, count: 5))
    }

    func testWhatIsLeftAlone() throws {
        let server = try TestServer(["g.lua": Self.app])
        for (query, accept) in [("small", "gzip"), ("image", "gzip"), ("encoded", "gzip"), ("", "gzip;q=0"),
                                ("", "identity"), ("", "*;q=0")] {
            let response = try server.get("/g?\(query)", headers: "Accept-Encoding: \(accept)\r\n")
            XCTAssertNil(response.header("Content-Encoding").flatMap { $0 == "gzip" ? $0 : nil }, "\(query) \(accept)")
            XCTAssertFalse(response.body.starts(with: [0x1f, 0x8b]), "\(query) \(accept): not gzip")
        }
        XCTAssertEqual(try server.get("/g", headers: "Accept-Encoding: *\r\n").header("Content-Encoding"), "gzip")
        let head = try server.client().request("HEAD /g HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", bodyless: true)
        XCTAssertNil(head.header("Content-Encoding"), "HEAD is answered as it is")
    }

    func testAHundredMebibyteStreamIsCompressedInBoundedMemory() throws {
        let server = try LuagwProcess(["big.lua": #"""
            local line = {}
            for i = 1, 16384 do line[i] = string.format("%08x", (i * 2654435761) % 4294967296) end
            local block = table.concat(line)  -- 128 KiB of hex: compresses, but not to nothing
            return require("luagw.web.gzip")(function(environ, start_response)
              start_response("200 OK", { { "Content-Type", "text/plain" } })
              local n = tonumber(environ.QUERY_STRING)
              local i = 0
              return function() i = i + 1; if i <= n then return block end end
            end)
            """#])
        let client = try server.client()
        _ = try client.request("GET /big?1 HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
        let baseline = server.memoryKiB("VmHWM")
        let blocks = 800  // 800 × 128 KiB = 100 MiB
        let response = try client.request("GET /big?\(blocks) HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
        XCTAssertEqual(response.header("Content-Encoding"), "gzip")
        XCTAssertEqual(try gunzip(response.body).utf8.count, blocks * 131072)
        let growthMiB = Double(server.memoryKiB("VmHWM") - baseline) / 1024
        print("gzip: 100 MiB streamed and compressed to \(response.body.count >> 20) MiB; peak RSS +\(String(format: "%.1f", growthMiB)) MiB")
        XCTAssertLessThan(growthMiB, 16, "peak RSS grew by \(growthMiB) MiB")
    }

    func testAFilterRewritesAStreamedBodyAndMayChangeTheHead() throws {
        let server = try TestServer(["f.lua": #"""
            local filter = require "luagw.web.filter"
            local page = { "<html><a href=\"http://old.example/a\">a</a> <a href=\"http://old.", "example/b\">b</a>", "</html>" }
            return filter(function(environ, start_response)
              start_response("200 OK", { { "Content-Type", "text/html" }, { "Content-Length", "999" } })
              local i = 0
              return function() i = i + 1; return page[i] end
            end, function(chunk, environ, headers)
              -- Links may be cut between chunks: hold back from the last "<" (flushed at the end).
              held = (held or "") .. (chunk or "")
              local cut = chunk and held:find("<[^<]*$") or #held + 1
              local ready = held:sub(1, cut - 1)
              held = held:sub(cut)
              if not headers.marked then headers[#headers + 1] = { "X-Filtered", "yes" }; headers.marked = true end
              return (ready:gsub("http://old%.example/", "https://new.example/"))
            end, { types = { "text/html" } })
            """#])
        let response = try server.get("/f")
        XCTAssertEqual(response.text, "<html><a href=\"https://new.example/a\">a</a> <a href=\"https://new.example/b\">b</a></html>")
        XCTAssertEqual(response.header("X-Filtered"), "yes", "the head could still change on the first chunk")
        XCTAssertNil(response.header("Content-Length"), "the app's length no longer holds")
    }
}
