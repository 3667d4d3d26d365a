import Foundation
import XCTest
@testable import LuaGateway

/// luagw's own Lua files (Sources/LuaGateway/LuaModules): each is its own chunk, so an
/// error or a traceback that passes through one names its file and line.
final class PreludeTests: XCTestCase {
    /// The 1-based line of the first line of `file` that contains `text`.
    private func line(of text: String, in file: String) throws -> Int {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/LuaGateway/LuaModules/\(file)")
        let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        return try XCTUnwrap(lines.firstIndex { $0.contains(text) }) + 1
    }

    func testATracebackNamesTheLuaFilesAndLines() throws {
        let server = try TestServer(["misuse.lua": #"""
            return function(e, sr)
              local body = e["wsgi.input"]:read({})
              return body
            end
            """#], development: true)
        let response = try server.get("/misuse")
        XCTAssertEqual(response.code, 500)
        let read = try line(of: "bad argument to 'read'", in: "input.lua")
        XCTAssertTrue(response.text.contains("luagw/input.lua:\(read):"), response.text)
        XCTAssertTrue(response.text.contains("misuse.lua:2:"), response.text)
        XCTAssertFalse(response.text.contains("driver.lua") || response.text.contains("xpcall"),
                       "the frames of luagw below the application are cut: \(response.text)")
        let last = response.text.split(separator: "\n").last ?? ""
        XCTAssertTrue(last.contains("misuse.lua:2:"), "the traceback ends at the application: \(response.text)")
    }

    func testEveryModuleIsListedOnceAndTheEntryFirst() {
        let names = Prelude.modules.map { "\($0.name)" }
        XCTAssertEqual(names.first, "prelude")
        XCTAssertEqual(Set(names).count, names.count)
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/LuaGateway/LuaModules")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        XCTAssertEqual(Set(files.map { String($0.dropLast(4)) }), Set(names), "every .lua file is loaded")
    }

    func testTheProtocolReachesLuaWithTheNumbersSwiftUses() throws {
        let server = try TestServer(["stop.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Length", "2"}})
              return function() return "abcdef" end
            end
            """#])
        // The server answers the first chunk STOP (the length is reached): the body ends quietly.
        let response = try server.get("/stop")
        XCTAssertEqual(response.code, 200)
        XCTAssertEqual(response.text, "ab")
    }
}
