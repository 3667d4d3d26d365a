import Foundation
import XCTest
@testable import LuaGateway

/// docs/cookbook.md's recipes run as printed: each ```lua block is saved as a script of its own
/// (`recipe1.lua`, ...) and requested as a reader would, with more checks than DocumentedCodeTests'.
final class CookbookTests: XCTestCase {
    static let recipes: [String] = ((try? DocumentedPages.blocks(in: "docs/cookbook.md")) ?? [])
        .filter { $0.language == "lua" }.map(\.source)

    /// The recipe whose first line contains `marker`, by its script name.
    func recipe(_ marker: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        guard let index = Self.recipes.firstIndex(where: { $0.contains(marker) }) else {
            XCTFail("no recipe contains \(marker)", file: file, line: line)
            return "none"
        }
        return "recipe\(index + 1)"
    }

    func testEveryRecipeRunsAsPrinted() throws {
        XCTAssertGreaterThanOrEqual(Self.recipes.count, 10)
        var scripts = ["_templates/page.html": "<p>{{path}}</p>", "_private/report.pdf": "%PDF-1.4 report"]
        for (index, source) in Self.recipes.enumerated() { scripts["recipe\(index + 1).lua"] = source }
        let server = try TestServer(scripts)

        let greet = recipe("local name = req.query.name")
        XCTAssertEqual(try server.get("/\(greet)?name=Ada&tag=a&tag=b").text, "hello, Ada (2 tags)\n")

        let cookies = recipe("request(environ).cookies.visits")
        let visit = try server.get("/\(cookies)", headers: "Cookie: visits=4\r\n")
        XCTAssertEqual(visit.text, "visit number 5\n")
        XCTAssertTrue(visit.header("Set-Cookie")?.hasPrefix("visits=5; ") ?? false, visit.header("Set-Cookie") ?? "")

        let form = recipe("req.files.photo")
        let fields = "name=Ada"
        XCTAssertEqual(try server.client().request("POST /\(form) HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                                     + "Content-Length: \(fields.utf8.count)\r\n\r\n\(fields)").text, "Ada sent no file\n")

        let json = recipe("request(environ):json()")
        let body = #"{"a": 1}"#
        let echoed = try server.client().request("POST /\(json) HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                                   + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertEqual(echoed.text, #"{"received":{"a":1}}"#)
        XCTAssertEqual(try server.client().request("POST /\(json) HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nnot").code, 400)

        let routes = recipe("r:get(\"/users/:id\"")
        XCTAssertEqual(try server.get("/\(routes)/users/42").text, #"{"id":42}"#)
        let created = try server.client().request("POST /\(routes)/users HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(created.code, 303)
        XCTAssertEqual(created.header("Location"), "/\(routes)/users/7")

        let download = recipe("_private/report.pdf")
        XCTAssertEqual(try server.get("/\(download)").text, "%PDF-1.4 report")

        let stream = recipe("text/event-stream")
        let client = try server.client()
        try client.send("GET /\(stream) HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertTrue(try client.read(through: "data: tick 2").contains("data: tick 1\n\n"))

        let service = recipe("luagw.http.request(\"http://127.0.0.1:9000")
        let answer = try server.get("/\(service)")
        XCTAssertTrue([200, 502].contains(answer.code), "a 502 with the reason when nothing listens: \(answer.text)")

        let state = recipe("sessions:incr(\"hits\"")
        let first = try server.get("/\(state)").text
        let second = try server.get("/\(state)").text
        XCTAssertEqual(Int(second.dropFirst(4).dropLast()), (Int(first.dropFirst(4).dropLast()) ?? -1) + 1, second)

        let beside = recipe("local here = (...)")
        XCTAssertEqual(try server.get("/\(beside)/x").text, "<p>/x</p>")
    }
}
