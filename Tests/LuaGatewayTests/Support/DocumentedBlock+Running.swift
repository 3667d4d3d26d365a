import Foundation
import XCTest

/// How DocumentedCodeTests serves a runnable block and asks it (the marker's attributes are in
/// that test's comment).
extension DocumentedBlock {
    /// The block's kind, `""` when it is not runnable.
    var kind: String {
        guard case .runnable(let kind, _) = marker else { return "" }
        return kind
    }

    /// The files of the served directory: an application block as `file` (`app.lua` unless named)
    /// beside its `files` (a `.lua` one an application that answers its own name, any other file
    /// its own name); a script block as `_block.txt`, run by `run.lua` in a request; a test block
    /// as `file` (`_tests/app_test.lua` unless named).
    var servedFiles: [String: String] {
        var files: [String: String] = [:]
        for name in list("files") {
            files[name] = name.hasSuffix(".lua") ? "return function(e, sr) sr(200, {}); return \"\(name)\\n\" end\n" : name + "\n"
        }
        if kind == "script" {
            files["_block.txt"] = source
            files["run.lua"] = """
                local here = (...):match("^(.*)/")
                local file = assert(io.open(here .. "/_block.txt"))
                local source = file:read("a")
                file:close()
                return function(environ, start_response)
                  assert(load(source, "=\(place)"))()
                  start_response(200, { { "Content-Type", "text/plain" } })
                  return "ran\\n"
                end
                """
        } else {
            files[attribute("file") ?? (kind == "test" ? "_tests/app_test.lua" : "app.lua")] = source
        }
        return files
    }

    /// The request target: `path`, else the script's mount.
    var path: String {
        if let path = attribute("path") { return path }
        if kind == "script" { return "/run" }
        let mount = (attribute("file") ?? "app.lua").replacingOccurrences(of: ".lua", with: "")
        return mount == "index" ? "/" : "/" + mount
    }

    /// Sends the block's request (`method`, `body`) on `client` and checks the answer: its status
    /// (`status`, 200 by default), the `header` fields it must carry, and the body when the page
    /// shows it (the ```text block after it, with or without its last newline).
    func check(on client: RawClient, file: StaticString = #filePath, line: UInt = #line) throws {
        let body = attribute("body") ?? ""
        try client.send("\(attribute("method") ?? "GET") \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                        + (body.isEmpty ? "" : "Content-Length: \(body.utf8.count)\r\n") + "\r\n" + body)
        let response: Response
        if output == nil {  // the head only: a stream may go on for a while
            let head = try client.read(through: "\r\n\r\n").split(separator: "\r\n").map(String.init)
            let fields = head.dropFirst().map { field in
                let parts = field.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }
            response = Response(statusLine: head[0], headers: fields, body: [])
        } else {
            response = try client.readResponse()
        }
        let expected = Int(attribute("status") ?? "200")
        if response.code != expected {
            let rest = response.text + String(decoding: (try? client.readToEnd()) ?? [], as: UTF8.self)
            XCTFail("\(place): \(response.statusLine), not \(expected ?? 0): \(rest)", file: file, line: line)
        }
        for name in list("header") {
            XCTAssertNotNil(response.header(name), "\(place): no \(name) in the answer", file: file, line: line)
        }
        if let output, response.text != output, response.text != String(output.dropLast()) {
            XCTFail("\(place): answered \(response.text.debugDescription), the page shows \(output.debugDescription)",
                    file: file, line: line)
        }
    }
}
